import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import type { ReportedEvents, SessionEventInput } from '../contracts/events';
import {
  CodexRuntimeError,
  findBundledCodexBinary,
  findRuntimeCodexBinary,
  MIN_CODEX_VERSION,
  resolveCodexBinary,
  verifyCodexBinary,
  type CodexBinary,
} from '../host/codex-binary';
import { installCodexRuntime } from '../host/codex-runtime-install';
import { checkCodexCredentials } from '../host/credentials';
import { codexRuntimeDir } from '../host/plato-home';
import { ConfigError } from '../host/runner-config';
import { heartbeatWhile } from './heartbeat-while';
import type { HostSettings } from './host-settings';

export interface CodexRuntimeStatus {
  codexPath: string;
  version: string;
  source: CodexBinary['source'];
  /** True when this check installed the runtime into `$PLATO_HOME/runtime`. */
  installed: boolean;
  /** Which credential codex will use, by name (never a value: this result is in the history). */
  credentials: string;
  /** When this check installed the runtime: `runtime.install.started` and `runtime.install.completed`, as they happened. */
  installEvents?: SessionEventInput[];
}

/** The worker host as messages name it: its name in the pool, else the machine's. */
function hostLabel(settings: HostSettings): string {
  return settings.host?.name ?? hostname();
}

/** Heartbeat period while npm installs: a download can be silent for minutes. */
const INSTALL_HEARTBEAT_MS = 5_000;

/**
 * Installs the pinned codex, heartbeating while npm runs, and records it in `events`:
 * `runtime.install.started`, then `runtime.install.completed` or `runtime.install.failed`.
 */
async function installRecorded(context: Context, events: SessionEventInput[], host: string): Promise<CodexBinary> {
  const record = (event: Omit<SessionEventInput, 'at' | 'attempt'>) => events.push({ at: new Date().toISOString(), attempt: context.info.attempt, ...event });
  const progress = `installing @openai/codex@${MIN_CODEX_VERSION} into ${codexRuntimeDir()}`;
  record({ type: 'runtime.install.started', message: `No codex on worker host ${host}: ${progress}` });
  try {
    const installed = await heartbeatWhile(context, progress, INSTALL_HEARTBEAT_MS, () => installCodexRuntime({ signal: context.cancellationSignal }));
    record({ type: 'runtime.install.completed', message: `Installed codex ${installed.version} at ${installed.path}` });
    return installed;
  } catch (error) {
    if (error instanceof CodexRuntimeError) record({ type: 'runtime.install.failed', errorCode: error.code, message: error.message });
    throw error;
  }
}

/**
 * The binaries this worker process has verified, by path, with the file they were then (device,
 * inode, size, mtime). `codex --version` is a process start, and its answer changes only when the
 * file does, so each task does not need to ask again.
 */
const verifiedBinaries = new Map<string, { file: string; version: string }>();

function fileIdentity(file: string): string | undefined {
  try {
    const { dev, ino, size, mtimeMs } = statSync(file);
    return `${dev}:${ino}:${size}:${mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** {@link verifyCodexBinary}, run again only when the file at the binary's path has changed. */
async function verifyCodexBinaryOnce(binary: CodexBinary): Promise<{ version: string }> {
  const file = fileIdentity(binary.path);
  const known = verifiedBinaries.get(binary.path);
  if (file !== undefined && known?.file === file) return { version: known.version };
  const { version } = await verifyCodexBinary(binary);
  if (file !== undefined) verifiedBinaries.set(binary.path, { file, version });
  return { version };
}

/**
 * Verifies the runtime this worker's sessions will use before a task gets a worktree: the codex
 * binary they will spawn (`codex.codexPath`, the bundled `@openai/codex`, or `$PLATO_HOME/runtime`)
 * exists, answers `--version` and is not older than the pinned minimum, and codex will find a
 * credential. When no codex is installed at all (and the config names none), it installs the
 * pinned `@openai/codex` into `$PLATO_HOME/runtime` first, heartbeating while npm runs.
 * A binary that passed is not run again by this worker process until its file changes; the
 * credential is checked every time (it reads files only).
 * A broken runtime or config does not heal by retrying, so those failures are final:
 * `CODEX_INSTALL_FAILED` when npm fails, `CODEX_VERIFY_FAILED` when the binary or the credential
 * is wrong, `CONFIG_INVALID` for a config file that cannot be read, `CODEX_RUNTIME_FAILED` for
 * anything else.
 */
export function createCheckCodexRuntime(settings: HostSettings) {
  return async function checkCodexRuntime(): Promise<CodexRuntimeStatus> {
    return (await runtimeCheck(Context.current(), settings)).status;
  };
}

/** {@link createCheckCodexRuntime}'s check, within any activity: the status and the binary it verified. */
export async function runtimeCheck(context: Context, settings: HostSettings): Promise<{ status: CodexRuntimeStatus; binary: CodexBinary }> {
  const installEvents: SessionEventInput[] = [];
  try {
    const config = await settings.loadConfig();
    const codexPath = config.codex?.codexPath;
    let binary = codexPath === undefined ? (findBundledCodexBinary() ?? findRuntimeCodexBinary()) : resolveCodexBinary(codexPath);
    const installed = binary === undefined;
    binary ??= await installRecorded(context, installEvents, hostLabel(settings));
    const { version } = await verifyCodexBinaryOnce(binary);
    const credentials = checkCodexCredentials({
      config,
      apiKey: await settings.loadApiKey(),
      env: { ...process.env, ...settings.codexEnv },
    });
    if (!credentials.ok)
      throw new CodexRuntimeError(
        ErrorCode.codexVerifyFailed,
        `Codex has no credential on worker host ${hostLabel(settings)}: ${credentials.detail}. ${credentials.fix}.`,
      );
    return {
      status: {
        codexPath: binary.path,
        version,
        source: binary.source,
        installed,
        credentials: credentials.detail,
        ...(installEvents.length > 0 ? { installEvents } : {}),
      },
      binary,
    };
  } catch (error) {
    if (context.cancellationSignal.aborted) throw error;
    const code = error instanceof CodexRuntimeError || error instanceof ConfigError ? error.code : ErrorCode.codexRuntimeFailed;
    // The install's events travel with the failure: the workflow records them before the task fails.
    const reported: ReportedEvents[] = installEvents.length > 0 ? [{ reportedEvents: installEvents }] : [];
    throw ApplicationFailure.create({ message: (error as Error).message, type: code, nonRetryable: true, details: reported });
  }
}
