import { CodexRunnerError } from '../client/errors';
import { ErrorCode } from '../contracts/errors';

/** A call named (or defaulted to) an agent runtime that the orchestration service does not have. */
export class AgentRuntimeNotRegisteredError extends CodexRunnerError {
  constructor(
    readonly runtimeId: string,
    registered: readonly string[],
    what = 'Agent runtime',
  ) {
    super(ErrorCode.agentRuntimeNotRegistered, `${what} '${runtimeId}' is not registered (registered: ${registered.join(', ') || 'none'})`);
  }
}

/** The runtime that owns a task lacks an optional capability (approval, rejection, graph results). */
export class AgentRuntimeUnsupportedError extends CodexRunnerError {
  constructor(
    readonly runtimeId: string,
    capability: string,
  ) {
    super(ErrorCode.agentRuntimeUnsupported, `Agent runtime '${runtimeId}' does not support ${capability}`);
  }
}
