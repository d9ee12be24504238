/**
 * Task ids become workflow ids, git branch names (`plato/task-<id>`, `plato/graph-<id>`) and
 * directory names, so they are validated before anything touches Temporal or the disk: no
 * slashes or spaces, a bounded length, and nothing `git check-ref-format` refuses in a branch
 * name (`..`, a trailing `.`, a `.lock` ending).
 */
export const TASK_ID_PATTERN = /^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?<!\.)$/;

export const TASK_ID_RULE =
  'must start with a letter or digit and contain only letters, digits, ".", "_" or "-" (at most 64 characters), with no "..", no trailing "." and no ".lock" ending (git refuses those in branch names)';

/** A full commit id as git prints it: SHA-1, or SHA-256 in repositories that use it. */
export const FULL_COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

const TASK_WORKFLOW_PREFIX = 'codex-task-';

/** Workflow id of the task workflow for `taskId` (every task, child or not). */
export function taskWorkflowId(taskId: string): string {
  return `${TASK_WORKFLOW_PREFIX}${taskId}`;
}

/**
 * The workflow statuses in which a task id is taken: a running or completed task's id is refused
 * (Temporal's ALLOW_DUPLICATE_FAILED_ONLY reuse policy); one that failed, was cancelled,
 * terminated or timed out frees it.
 */
export const ID_TAKING_STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW']);

/** Inverse of {@link taskWorkflowId}; `undefined` for workflow ids this project did not make. */
export function taskIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(TASK_WORKFLOW_PREFIX) ? workflowId.slice(TASK_WORKFLOW_PREFIX.length) : undefined;
}

/** The git branch a task works on. */
export function taskBranchName(taskId: string): string {
  return `plato/task-${taskId}`;
}

/** The branch a task graph's completed children are merged into, in dependency order. */
export function graphBranchName(parentTaskId: string): string {
  return `plato/graph-${parentTaskId}`;
}

/** Worktrees live inside the repository they belong to, under a folder excluded from git. */
export const WORKTREES_DIR = '.plato/worktrees';

/** Worktree path of a task, as a POSIX path relative to the repository root. */
export function taskWorktreeRelativePath(taskId: string): string {
  return `${WORKTREES_DIR}/${taskId}`;
}

/**
 * The task queue a worker polls for workflows and short activities, unless told another
 * (`worker --task-queue`, and the same on the client's side). Workers and clients on different
 * task queues share the Temporal namespace but not the work: a task runs only on workers that
 * poll the queue it was started on.
 */
export const DEFAULT_TASK_QUEUE = 'codex-runner';

/** Where Temporal is when neither the environment configuration nor the caller says: the dev server. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** The command that starts a worker polling `taskQueue`. */
export function startWorkerCommand(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? 'codex-runner worker' : `codex-runner worker --task-queue ${taskQueue}`;
}

/** The end of every "no worker polls" message: how to start one. */
export function startWorkerHint(taskQueue: string): string {
  return `start one with \`${startWorkerCommand(taskQueue)}\``;
}

/**
 * A task queue name: what Temporal accepts (at most 1000 bytes, no control characters), kept to a
 * shape that reads well in a command line and the Web UI.
 */
export const TASK_QUEUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

export const TASK_QUEUE_RULE = 'must start with a letter or digit and contain only letters, digits, ".", "_", ":", "/" or "-" (at most 200 characters)';

/** What is wrong with a task queue name, naming the field it came from; `undefined` when nothing is. */
export function taskQueueProblem(taskQueue: string, field = 'taskQueue'): string | undefined {
  return TASK_QUEUE_PATTERN.test(taskQueue) ? undefined : `${field} ${JSON.stringify(taskQueue)} ${TASK_QUEUE_RULE}`;
}

/**
 * A worker host's name (`worker --host-name`, default the machine's hostname): it names the host
 * in task records and the host's own task queues, so it is kept to what reads well in both.
 */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const HOST_NAME_RULE = 'must start with a letter or digit and contain only letters, digits, ".", "_" or "-" (at most 63 characters)';

/** What is wrong with a host name; `undefined` when nothing is. */
export function hostNameProblem(hostName: string): string | undefined {
  return HOST_NAME_PATTERN.test(hostName) ? undefined : `host name ${JSON.stringify(hostName)} ${HOST_NAME_RULE}`;
}

/** A hostname as a host name: its first label, with what the rule refuses made `-`. */
export function hostNameFrom(hostname: string): string {
  const name = (hostname.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? 'host' : name;
}

/**
 * The task queue only the workers of one host poll, for a task's steps on that host once it is
 * placed there (its worktree, commits, checks and turns): the worker-specific task queue of
 * Temporal's samples.
 */
export function hostTaskQueue(taskQueue: string, hostName: string): string {
  return `${taskQueue}@${hostName}`;
}

/** The queue tasks are placed from: every host polls it, with one slot (see placeTask). */
export function placementTaskQueue(taskQueue: string): string {
  return `${taskQueue}-placement`;
}

/**
 * Codex sessions run on a task queue of their own, named after the workflows' queue, so that a
 * worker's session slots (`worker --max-concurrent-tasks`) bound sessions alone, not git
 * bookkeeping, and a workflow finds its sessions' queue from its own.
 */
export function sessionTaskQueue(taskQueue: string): string {
  return `${taskQueue}-sessions`;
}
