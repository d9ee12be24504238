import { ErrorCode } from '../contracts/errors';

/**
 * Every error the client library throws on purpose. `code` is stable (scripts and Plato match
 * on it); `message` is one line that names the problem and the fix.
 */
export class CodexRunnerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends CodexRunnerError {
  constructor(message: string) {
    super(ErrorCode.validation, message);
  }
}

export class TaskNotFoundError extends CodexRunnerError {
  constructor(readonly taskId: string) {
    super(ErrorCode.taskNotFound, `Task ${taskId} was not found`);
  }
}

export class TaskAlreadyExistsError extends CodexRunnerError {
  constructor(readonly taskId: string) {
    super(ErrorCode.taskAlreadyExists, `Task ${taskId} already exists`);
  }
}

export class WrongStateError extends CodexRunnerError {
  constructor(message: string) {
    super(ErrorCode.wrongState, message);
  }
}

/** gRPC's UNAVAILABLE status: the server did not answer (it stopped, or the network is down). */
const GRPC_UNAVAILABLE = 14;

/**
 * Whether an error of an established Temporal connection (a `ServiceError`, or the gRPC error it
 * wraps) means the server stopped answering. The connection reconnects by itself once the server
 * is back, so the same call can simply be made again.
 */
export function isTemporalUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if ((current as { code?: unknown }).code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

export class TemporalUnavailableError extends CodexRunnerError {
  constructor(address: string, cause: unknown) {
    super(
      ErrorCode.temporalUnavailable,
      `Temporal is not reachable at ${address}: start the dev server with \`./temporal-dev.sh start\`, or set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE / TEMPORAL_API_KEY) to your cluster`,
      { cause },
    );
  }
}

/**
 * A task's workflow needs a worker to answer (its live record, an approval), and none polls its
 * task queue. Signals and cancellation need none: they wait in history until a worker runs.
 */
export class WorkerUnavailableError extends CodexRunnerError {
  constructor(
    readonly taskQueue: string,
    message: string,
  ) {
    super(ErrorCode.workerUnavailable, message);
  }
}
