import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { ResultClassificationSchema, TokenUsageSchema } from './events';
import { TaskStateSchema } from './task';

export { RESULT_CLASSIFICATIONS, ResultClassificationSchema, TokenUsageSchema, type ResultClassification, type TokenUsage } from './events';

/**
 * What codex-runner reports: task records and graph results, as zod schemas with their types
 * inferred (events are in ./events.ts). Workflows build these as plain objects and import only the
 * types (so none of these schemas is evaluated in a workflow); the orchestration contracts derive
 * from them.
 */

export const ErrorCodeSchema = z.enum(ERROR_CODES);

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
  repoPath: z.string(),
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
  /** Set on a graph's parent task. */
  graph: GraphRecordSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

export { SessionItemSchema, TaskEventSchema, type SessionItem, type TaskEvent } from './events';
