import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import { CodexRuntimeError, resolveCodexBinary, verifyCodexBinary } from '../host/codex-binary';
import type { HostSettings } from './host-settings';

export interface CodexRuntimeStatus {
  codexPath: string;
  version: string;
}

/**
 * Verifies the codex binary that this worker's sessions will spawn (the bundled one or
 * `codex.codexPath`): it exists, answers `--version`, and is not older than the pinned minimum.
 * A broken runtime does not heal by retrying, so failures are not retryable.
 */
export function createCheckCodexRuntime(settings: HostSettings) {
  return async function checkCodexRuntime(): Promise<CodexRuntimeStatus> {
    try {
      const config = await settings.loadConfig();
      const binary = resolveCodexBinary(config.codex?.codexPath);
      const { version } = await verifyCodexBinary(binary);
      return { codexPath: binary.path, version };
    } catch (error) {
      const code = error instanceof CodexRuntimeError ? error.code : ErrorCode.codexRuntimeFailed;
      throw ApplicationFailure.nonRetryable((error as Error).message, code);
    }
  };
}
