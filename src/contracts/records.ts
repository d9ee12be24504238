import { VerificationRecordSchema } from './checks';
import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { RESULT_CLASSIFICATIONS, SessionOutputStreamSchema, SessionItemSchema, TASK_EVENT_TYPES, TokenUsageSchema } from './events';
import { TaskStateSchema } from './task';

export { RESULT_CLASSIFICATIONS, SessionItemSchema, TokenUsageSchema, type ResultClassification, type SessionItem, type TokenUsage } from './events';

/**
 * What codex-runner reports: task records, graph results and task events, as zod schemas with
 * their types inferred (event names, and the small schema of the session events a workflow checks,
 * are in ./events.ts). Workflows build these as plain objects and import only the types (so none
 * of these schemas is evaluated in a workflow, where each workflow would build its own); the
 * orchestration contracts derive from them.
 */

export const ErrorCodeSchema = z.enum(ERROR_CODES);

export const ResultClassificationSchema = z.enum(RESULT_CLASSIFICATIONS);

/** A failure as it is stored in a task record and in `task.failed` events. */
export const TaskFailureSchema = z.object({ code: ErrorCodeSchema, message: z.string() });

export const APPROVAL_DECISIONS = ['approved', 'rejected', 'changes_requested', 'timed_out'] as const;

export const ApprovalDecisionSchema = z.object({
  kind: z.enum(APPROVAL_DECISIONS),
  by: z.string().optional(),
  /** The approver's comment, the rejection reason, or the requested changes. */
  message: z.string().optional(),
  at: z.string(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** What an approver sees, and what they decided. */
export const ApprovalRecordSchema = z.object({
  requestedAt: z.string(),
  /** The task branch's changes against its base: a line per file (`path | +added -deleted`, or `path | bin`), then git's summary line. */
  diffStat: z.string(),
  finalMessage: z.string(),
  decision: ApprovalDecisionSchema.optional(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

/** What one finished child contributed to its graph. */
export const WorkerResultSchema = z.object({
  resultId: z.string(),
  taskId: z.string(),
  parentTaskId: z.string(),
  classification: ResultClassificationSchema,
  /** The agent's final message, or why the child failed. */
  summary: z.string(),
  filesChanged: z.array(z.string()),
  commitSha: z.string().optional(),
  usage: TokenUsageSchema.optional(),
  errorCode: ErrorCodeSchema.optional(),
  /** The child's last verification verdict, when it has `verify` commands. */
  verification: VerificationRecordSchema.shape.status.optional(),
});
export type WorkerResult = z.infer<typeof WorkerResultSchema>;

export const GraphConflictSchema = z.object({ taskId: z.string(), files: z.array(z.string()) });
export type GraphConflict = z.infer<typeof GraphConflictSchema>;

/** The graph's one final outcome, recorded once every child is terminal. */
export const GraphSynthesisSchema = z.object({
  synthesisId: z.string(),
  parentTaskId: z.string(),
  classification: ResultClassificationSchema,
  summary: z.string(),
  childTaskCount: z.number().int(),
  resultIds: z.array(z.string()),
  /** `plato/graph-<parentId>`, holding every completed child's work merged in the order they completed. */
  branchName: z.string().optional(),
  commitSha: z.string().optional(),
  conflicts: z.array(GraphConflictSchema),
});
export type GraphSynthesis = z.infer<typeof GraphSynthesisSchema>;

/** The graph part of a parent task's record. */
export const GraphRecordSchema = z.object({
  children: z.array(z.object({ taskId: z.string(), prompt: z.string(), priority: z.number(), dependencyTaskIds: z.array(z.string()) })),
  maxConcurrentTasks: z.number().int().optional(),
  /** The commit every child without prerequisites starts from. */
  baseSha: z.string().optional(),
  results: z.array(WorkerResultSchema),
  synthesis: GraphSynthesisSchema.optional(),
});
export type GraphRecord = z.infer<typeof GraphRecordSchema>;

export const TaskRecordSchema = z.object({
  taskId: z.string(),
  /** The repository: its local path, or its git URL when the task names it by `repoUrl`. */
  repoPath: z.string(),
  /** The repository's git URL: each host works in its own mirror, and the task's branch is pushed there. */
  repoUrl: z.string().optional(),
  prompt: z.string(),
  priority: z.number(),
  state: TaskStateSchema,
  parentTaskId: z.string().optional(),
  /** A graph child's prerequisites. */
  dependencyTaskIds: z.array(z.string()).optional(),
  baseRef: z.string().optional(),
  /** Commit the task branch started from. */
  baseSha: z.string().optional(),
  branchName: z.string().optional(),
  worktreePath: z.string().optional(),
  /** The worker host the task is placed on: its worktree, checks and turns are there. */
  host: z.string().optional(),
  /** Codex thread of this task's session, recorded as soon as Codex reports it. */
  threadId: z.string().optional(),
  /** Commit on the task branch holding the agent's work. */
  commitSha: z.string().optional(),
  filesChanged: z.array(z.string()).optional(),
  finalMessage: z.string().optional(),
  usage: TokenUsageSchema.optional(),
  failure: TaskFailureSchema.optional(),
  /** Set while the task awaits approval, and kept with the decision afterwards. */
  approval: ApprovalRecordSchema.optional(),
  /** Set on a run that retries an earlier one: that run's id. */
  retryOfRunId: z.string().optional(),
  /** The last verification run's verdict, when the task has `verify` commands. */
  verification: VerificationRecordSchema.optional(),
  /** Set on a graph's parent task. */
  graph: GraphRecordSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** How one turn of a task's agent ended: see {@link TaskSessionSchema}. */
export const SESSION_STATES = ['running', 'completed', 'failed', 'interrupted', 'lost'] as const;

/**
 * One turn of a task's agent (the reference's session record), as its events tell it: the Codex
 * thread it ran on (the same for every turn of a task), the activity attempt that ran it (above 1
 * when a retry took over from a worker that was lost), how it ended and when. States: `running`
 * (no end recorded yet), `completed` (exit code 0), `failed` (1), `interrupted` (aborted, exit code
 * null: an interrupt, a cancel or a worker shutdown), `lost` (its end was never recorded: the
 * worker running it died and a retry took over, or the task ended without it).
 */
export const TaskSessionSchema = z.object({
  /** Absent for a turn that failed before codex started its thread. */
  threadId: z.string().optional(),
  attempt: z.number().int().min(1),
  state: z.enum(SESSION_STATES),
  exitCode: z.number().int().nullable().optional(),
  worktreePath: z.string().optional(),
  /** When the turn's thread started (for a turn that failed before that, when it ended). */
  startedAt: z.string(),
  endedAt: z.string().optional(),
  /** Why a turn that did not complete ended. */
  message: z.string().optional(),
});
export type TaskSession = z.infer<typeof TaskSessionSchema>;

/** A task and its sessions, oldest first (the reference's `getTaskStatus`). */
export const TaskStatusSchema = z.object({ task: TaskRecordSchema, sessions: z.array(TaskSessionSchema) });
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** One event of a task: flat optional fields, as in the reference system, plus a per-task sequence number and an ISO timestamp. */
export const TaskEventSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  type: z.enum(TASK_EVENT_TYPES),
  taskId: z.string(),
  state: TaskStateSchema.optional(),
  parentTaskId: z.string().optional(),
  childTaskId: z.string().optional(),
  dependencyTaskId: z.string().optional(),
  dependencyTaskIds: z.array(z.string()).optional(),
  blockedByTaskIds: z.array(z.string()).optional(),
  /** A graph's aggregate state: a task state but `cancelled` (a cancelled child fails its graph). */
  graphState: TaskStateSchema.exclude(['cancelled']).optional(),
  resultId: z.string().optional(),
  synthesisId: z.string().optional(),
  resultClassification: ResultClassificationSchema.optional(),
  worktreePath: z.string().optional(),
  branchName: z.string().optional(),
  baseSha: z.string().optional(),
  threadId: z.string().optional(),
  /** `task.placed`: the worker host the task's worktree and sessions are on. */
  host: z.string().optional(),
  /** Activity attempt of the session that produced a `session.*` event. */
  attempt: z.number().int().optional(),
  commitSha: z.string().optional(),
  filesChanged: z.array(z.string()).optional(),
  item: SessionItemSchema.optional(),
  usage: TokenUsageSchema.optional(),
  exitCode: z.number().int().nullable().optional(),
  /** `session.output`: the stream Codex's text came on (`stderr`: what it reported going wrong). */
  stream: SessionOutputStreamSchema.optional(),
  errorCode: z.enum(ERROR_CODES).optional(),
  message: z.string().optional(),
  version: z.string().optional(),
  /** Who approved, rejected or requested changes. */
  actor: z.string().optional(),
  diffStat: z.string().optional(),
  codexPath: z.string().optional(),
  /** `verification.*`: the run's id (`<taskId>:verify:<n>`), its verdict and each check with its exit code and duration. */
  verificationId: z.string().optional(),
  verificationStatus: z.enum(['passed', 'failed', 'errored']).optional(),
  checks: VerificationRecordSchema.shape.checks.optional(),
  /** `worktree.files.copied`: the files copied from the main checkout. */
  files: z.array(z.string()).optional(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;
