/**
 * Every error code a user, a script or Plato can see: in a task record's `failure`, an event's
 * `errorCode`, a `CodexRunnerError`'s `code`, an MCP tool's error. The reference system's codes
 * are kept so Plato-side consumers recognise them; the ones it lacked are added in its style.
 */
export const ErrorCode = {
  validation: 'VALIDATION_FAILED',
  taskNotFound: 'TASK_NOT_FOUND',
  taskAlreadyExists: 'TASK_ALREADY_EXISTS',
  wrongState: 'TASK_WRONG_STATE',
  /** A task or child that ended for a reason no more specific code names. */
  taskFailed: 'TASK_FAILED',
  temporalUnavailable: 'TEMPORAL_UNAVAILABLE',
  /** No worker polls the task queue of a task that needs one to answer (a query, an update). */
  workerUnavailable: 'WORKER_UNAVAILABLE',
  codexRuntimeFailed: 'CODEX_RUNTIME_FAILED',
  codexInstallFailed: 'CODEX_INSTALL_FAILED',
  codexVerifyFailed: 'CODEX_VERIFY_FAILED',
  worktreeProvisioningFailed: 'WORKTREE_PROVISIONING_FAILED',
  codexTurnFailed: 'CODEX_TURN_FAILED',
  /** The model API stayed unavailable (429, 5xx, dropped streams) through the task's outage window. */
  codexModelUnavailable: 'CODEX_MODEL_UNAVAILABLE',
  /** Codex reported nothing for the turn inactivity timeout, through the task's outage window. */
  codexTurnStalled: 'CODEX_TURN_STALLED',
  commitFailed: 'TASK_COMMIT_FAILED',
  configInvalid: 'CONFIG_INVALID',
  /** A `setup` command of the repository config or the task failed or could not run. */
  worktreeSetupFailed: 'WORKTREE_SETUP_FAILED',
  /** A `verify` command still failed after the agent's turns to fix it (the reference's verifier code). */
  testsFailed: 'TESTS_FAILED',
  /** A `verify` command could not run at all: not found, not executable, timed out. */
  verificationErrored: 'TASK_VERIFICATION_ERRORED',
  graphDependencyFailed: 'TASK_GRAPH_DEPENDENCY_FAILED',
  graphChildFailed: 'TASK_GRAPH_CHILD_FAILED',
  graphMergeConflict: 'TASK_GRAPH_MERGE_CONFLICT',
  graphMergeFailed: 'TASK_GRAPH_MERGE_FAILED',
  approvalRejected: 'TASK_APPROVAL_REJECTED',
  /** `land` refused: the target is checked out with changes, or elsewhere, or is no branch. Nothing changed. */
  landRefused: 'TASK_LAND_REFUSED',
  /** `land` found conflicts between the work and the target (named with the error). Nothing changed. */
  landConflict: 'TASK_LAND_CONFLICT',
  /** `push` could not push the work (no such remote, rejected). */
  pushFailed: 'TASK_PUSH_FAILED',
  approvalTimedOut: 'TASK_APPROVAL_TIMED_OUT',
  cancelled: 'TASK_CANCELLED',
  /** The orchestration service: a selector names a runtime it does not have. */
  agentRuntimeNotRegistered: 'AGENT_RUNTIME_NOT_REGISTERED',
  /** The orchestration service: the runtime that owns a task lacks the capability asked for. */
  agentRuntimeUnsupported: 'AGENT_RUNTIME_UNSUPPORTED',
  /** The MCP server: an error none of the codes above describes. */
  internal: 'INTERNAL_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES = Object.values(ErrorCode) as readonly ErrorCode[];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}

/** A failure as it is stored in a task record and in `task.failed` events. */
export interface TaskFailure {
  code: ErrorCode;
  message: string;
}
