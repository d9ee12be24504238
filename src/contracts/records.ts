import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { TASK_EVENT_TYPES } from './events';
import { TaskStateSchema } from './task';

/**
 * What codex-runner reports: task records, graph results and events, as zod schemas with their
 * types inferred. Workflows build these as plain objects and import only the types (so none of
 * these schemas is evaluated in a workflow); the orchestration contracts derive from them.
 */

const ErrorCodeSchema = z.enum(ERROR_CODES);

/** Token usage of one or more Codex turns (the SDK's `Usage`, camel-cased). */
export const TokenUsageSchema = z.object({
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningOutputTokens: z.number(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

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

export const RESULT_CLASSIFICATIONS = ['completed', 'partial', 'conflicted', 'failed'] as const;
export const ResultClassificationSchema = z.enum(RESULT_CLASSIFICATIONS);
export type ResultClassification = z.infer<typeof ResultClassificationSchema>;

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

/** One normalized Codex item: what the agent did, in a shape that does not depend on the SDK. */
export const SessionItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('command'),
    id: z.string(),
    command: z.string(),
    status: z.enum(['in_progress', 'completed', 'failed']),
    exitCode: z.number().optional(),
    output: z.string(),
    /** Set when `output` was capped: the original size and the cap, both in bytes. */
    outputTruncated: z.object({ originalBytes: z.number(), capBytes: z.number() }).optional(),
  }),
  z.object({
    kind: z.literal('file_change'),
    id: z.string(),
    status: z.enum(['completed', 'failed']),
    changes: z.array(z.object({ path: z.string(), kind: z.enum(['add', 'delete', 'update']) })),
  }),
  z.object({ kind: z.literal('agent_message'), id: z.string(), text: z.string(), truncated: z.boolean().optional() }),
  z.object({ kind: z.literal('reasoning'), id: z.string(), text: z.string(), truncated: z.boolean().optional() }),
  z.object({ kind: z.literal('todo_list'), id: z.string(), items: z.array(z.object({ text: z.string(), completed: z.boolean() })) }),
  z.object({ kind: z.literal('mcp_tool_call'), id: z.string(), server: z.string(), tool: z.string(), status: z.string(), error: z.string().optional() }),
  z.object({ kind: z.literal('web_search'), id: z.string(), query: z.string() }),
  z.object({ kind: z.literal('error'), id: z.string(), message: z.string() }),
]);
export type SessionItem = z.infer<typeof SessionItemSchema>;

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
  /** Activity attempt of the session that produced a `session.*` event. */
  attempt: z.number().int().optional(),
  commitSha: z.string().optional(),
  filesChanged: z.array(z.string()).optional(),
  item: SessionItemSchema.optional(),
  usage: TokenUsageSchema.optional(),
  exitCode: z.number().int().nullable().optional(),
  errorCode: ErrorCodeSchema.optional(),
  message: z.string().optional(),
  version: z.string().optional(),
  /** Who approved, rejected or requested changes. */
  actor: z.string().optional(),
  diffStat: z.string().optional(),
  codexPath: z.string().optional(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;
