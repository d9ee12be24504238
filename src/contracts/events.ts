import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { TaskStateSchema } from './task';

/**
 * Event names. The reference system's names are kept so Plato-side consumers recognise them;
 * `session.item`, `session.usage`, `session.recovered`, `task.cancelled`,
 * `task.changes_requested`, `task.approval.timed_out` and `task.signal.ignored` (a signal whose
 * payload or sender did not fit, dropped) are new.
 */
export const TASK_EVENT_TYPES = [
  'task.queued',
  'runtime.checked',
  'runtime.install.started',
  'runtime.install.completed',
  'runtime.install.failed',
  'worktree.provisioned',
  'task.context.written',
  'task.started',
  'session.started',
  'session.recovered',
  'session.item',
  'session.output',
  'session.usage',
  'session.exited',
  'task.committed',
  'task.completed',
  'task.failed',
  'task.interrupted',
  'task.resumed',
  'task.cancelled',
  'task.awaiting_approval',
  'task.approval.granted',
  'task.approval.rejected',
  'task.approval.timed_out',
  'task.changes_requested',
  'task.graph.created',
  'task.graph.worker.started',
  'task.graph.dependency.satisfied',
  'task.graph.dependency.blocked',
  'task.graph.result.collected',
  'task.graph.child.completed',
  'task.graph.child.failed',
  'task.graph.merged',
  'task.graph.synthesized',
  'task.graph.completed',
  'task.graph.failed',
  'task.signal.ignored',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** Bytes of command output kept in one `session.item` event; the rest is cut and said so. */
export const COMMAND_OUTPUT_CAP_BYTES = 8 * 1024;
/** Characters of agent text (messages, reasoning) kept in one event. */
export const TEXT_CAP_CHARS = 16 * 1024;

/** Token usage of one or more Codex turns (the SDK's `Usage`, camel-cased). */
export const TokenUsageSchema = z.object({
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningOutputTokens: z.number(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

export const RESULT_CLASSIFICATIONS = ['completed', 'partial', 'conflicted', 'failed'] as const;
export const ResultClassificationSchema = z.enum(RESULT_CLASSIFICATIONS);
export type ResultClassification = z.infer<typeof ResultClassificationSchema>;

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
  errorCode: z.enum(ERROR_CODES).optional(),
  message: z.string().optional(),
  version: z.string().optional(),
  /** Who approved, rejected or requested changes. */
  actor: z.string().optional(),
  diffStat: z.string().optional(),
  codexPath: z.string().optional(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;

/** An event before the workflow numbers it. */
export type TaskEventInput = Omit<TaskEvent, 'seq' | 'taskId'>;

/** The events the session activity sends while a turn runs. */
export const SESSION_EVENT_TYPES = ['session.started', 'session.recovered', 'session.item', 'session.usage', 'session.exited'] as const;

/** What the session activity sends to its workflow while a turn runs (signal `sessionEvents`). */
export const SessionEventBatchSchema = z
  .object({
    attempt: z.number().int().min(1),
    events: z.array(
      TaskEventSchema.omit({ seq: true, taskId: true })
        .extend({ type: z.enum(SESSION_EVENT_TYPES) })
        .strict(),
    ),
  })
  .strict();
export type SessionEventBatch = z.infer<typeof SessionEventBatchSchema>;
export type SessionEventInput = SessionEventBatch['events'][number];

/** Memo key under which each newly appended batch of events is written into history. */
export const EVENTS_MEMO_KEY = 'codexEvents';
