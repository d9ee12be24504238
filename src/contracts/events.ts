import { z } from 'zod';
import { ERROR_CODES } from './errors';
import type { TaskEvent } from './records';

/**
 * Event names. The reference system's names are kept so Plato-side consumers recognise them;
 * `session.item`, `session.usage`, `session.recovered`, `session.retrying` (a turn that met a model
 * outage, retried on its thread after a wait), `worktree.files.copied` and `worktree.setup.*`
 * (the repository config's `copy` and `setup`), `task.cancelled`,
 * `task.changes_requested`, `task.approval.timed_out` and `task.signal.ignored` (a signal whose
 * payload or sender did not fit, dropped) are new.
 */
/** The events of a Codex turn, which the session activity sends while the turn runs. */
const TURN_EVENT_TYPES = ['session.started', 'session.recovered', 'session.item', 'session.output', 'session.usage', 'session.exited'] as const;
/** The events of a runtime install, which the runtime check reports (or a turn's, on a host that lacked codex). */
const RUNTIME_INSTALL_EVENT_TYPES = ['runtime.install.started', 'runtime.install.completed', 'runtime.install.failed'] as const;

export const TASK_EVENT_TYPES = [
  'task.queued',
  'task.placed',
  'runtime.checked',
  ...RUNTIME_INSTALL_EVENT_TYPES,
  'worktree.provisioned',
  'task.context.written',
  'task.started',
  ...TURN_EVENT_TYPES,
  'session.retrying',
  'session.relocated',
  'worktree.files.copied',
  'worktree.setup.started',
  'worktree.setup.completed',
  'worktree.setup.failed',
  'verification.started',
  'verification.completed',
  'verification.failed',
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
  'task.graph.subtasks.added',
  'task.graph.closed',
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
export type ResultClassification = (typeof RESULT_CLASSIFICATIONS)[number];

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

export type { TaskEvent };

/** An event before the workflow numbers it. */
export type TaskEventInput = Omit<TaskEvent, 'seq' | 'taskId'>;

/** The events activities report to their workflow, with their own timestamps: a turn's and a runtime install's. */
export const SESSION_EVENT_TYPES = [...TURN_EVENT_TYPES, ...RUNTIME_INSTALL_EVENT_TYPES] as const;

/** The streams of `session.output`, as the reference names them. */
export const SessionOutputStreamSchema = z.enum(['stdout', 'stderr']);

/**
 * One event as the session activity sends it: the few fields a `session.*` event has, so a
 * workflow, which checks every batch, builds this small schema rather than every event's.
 */
export const SessionEventSchema = z
  .object({
    at: z.string(),
    type: z.enum(SESSION_EVENT_TYPES),
    attempt: z.number().int().min(1).optional(),
    threadId: z.string().optional(),
    worktreePath: z.string().optional(),
    item: SessionItemSchema.optional(),
    usage: TokenUsageSchema.optional(),
    exitCode: z.number().int().nullable().optional(),
    stream: SessionOutputStreamSchema.optional(),
    errorCode: z.enum(ERROR_CODES).optional(),
    message: z.string().optional(),
  })
  .strict();

/** What a failed activity attaches to its failure (its first detail) when it reported events the workflow records before the failure: a runtime install that failed. */
export const ReportedEventsSchema = z.object({ reportedEvents: z.array(SessionEventSchema) }).strict();
export type ReportedEvents = z.infer<typeof ReportedEventsSchema>;

/** What the session activity sends to its workflow while a turn runs (signal `sessionEvents`). */
export const SessionEventBatchSchema = z.object({ attempt: z.number().int().min(1), events: z.array(SessionEventSchema) }).strict();
export type SessionEventBatch = z.infer<typeof SessionEventBatchSchema>;
export type SessionEventInput = z.infer<typeof SessionEventSchema>;

/** Memo key under which each newly appended batch of events is written into history. */
export const EVENTS_MEMO_KEY = 'codexEvents';
