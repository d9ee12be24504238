/**
 * Stable error codes. The reference system's codes are kept so Plato-side consumers recognise
 * them; the ones it lacked are added in the same style.
 */
export const ErrorCode = {
  validation: 'VALIDATION_FAILED',
  taskNotFound: 'TASK_NOT_FOUND',
  taskAlreadyExists: 'TASK_ALREADY_EXISTS',
  wrongState: 'TASK_WRONG_STATE',
  temporalUnavailable: 'TEMPORAL_UNAVAILABLE',
  codexRuntimeFailed: 'CODEX_RUNTIME_FAILED',
  codexInstallFailed: 'CODEX_INSTALL_FAILED',
  codexVerifyFailed: 'CODEX_VERIFY_FAILED',
  worktreeProvisioningFailed: 'WORKTREE_PROVISIONING_FAILED',
  codexTurnFailed: 'CODEX_TURN_FAILED',
  commitFailed: 'TASK_COMMIT_FAILED',
  configInvalid: 'CONFIG_INVALID',
  graphDependencyFailed: 'TASK_GRAPH_DEPENDENCY_FAILED',
  graphChildFailed: 'TASK_GRAPH_CHILD_FAILED',
  graphMergeConflict: 'TASK_GRAPH_MERGE_CONFLICT',
  graphMergeFailed: 'TASK_GRAPH_MERGE_FAILED',
  approvalRejected: 'TASK_APPROVAL_REJECTED',
  approvalTimedOut: 'TASK_APPROVAL_TIMED_OUT',
  cancelled: 'TASK_CANCELLED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A failure as it is stored in a task record and in `task.failed` events. */
export interface TaskFailure {
  code: string;
  message: string;
}
