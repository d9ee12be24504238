import type { TaskEvent } from './records';

export type { SessionItem, TaskEvent } from './records';

/**
 * Event names. The reference system's names are kept so Plato-side consumers recognise them;
 * `session.item`, `session.usage`, `session.recovered`, `task.cancelled`,
 * `task.changes_requested` and `task.approval.timed_out` are new.
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
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** Bytes of command output kept in one `session.item` event; the rest is cut and said so. */
export const COMMAND_OUTPUT_CAP_BYTES = 8 * 1024;
/** Characters of agent text (messages, reasoning) kept in one event. */
export const TEXT_CAP_CHARS = 16 * 1024;

/** An event before the workflow numbers it. */
export type TaskEventInput = Omit<TaskEvent, 'seq' | 'taskId'>;

/** What the session activity sends to its workflow while a turn runs. */
export interface SessionEventBatch {
  attempt: number;
  events: TaskEventInput[];
}

/** Memo key under which each newly appended batch of events is written into history. */
export const EVENTS_MEMO_KEY = 'codexEvents';
