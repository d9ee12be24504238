import type { GraphState, ResultClassification } from './graph';
import type { TaskState, TokenUsage } from './task';

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

/** One normalized Codex item: what the agent did, in a shape that does not depend on the SDK. */
export type SessionItem =
  | {
      kind: 'command';
      id: string;
      command: string;
      status: 'in_progress' | 'completed' | 'failed';
      exitCode?: number;
      output: string;
      /** Set when `output` was capped: the original size and the cap, both in bytes. */
      outputTruncated?: { originalBytes: number; capBytes: number };
    }
  | { kind: 'file_change'; id: string; status: 'completed' | 'failed'; changes: { path: string; kind: 'add' | 'delete' | 'update' }[] }
  | { kind: 'agent_message'; id: string; text: string; truncated?: boolean }
  | { kind: 'reasoning'; id: string; text: string; truncated?: boolean }
  | { kind: 'todo_list'; id: string; items: { text: string; completed: boolean }[] }
  | { kind: 'mcp_tool_call'; id: string; server: string; tool: string; status: string; error?: string }
  | { kind: 'web_search'; id: string; query: string }
  | { kind: 'error'; id: string; message: string };

/**
 * One event of a task. Flat optional fields, as in the reference system, plus a per-task
 * sequence number and an ISO timestamp on every event.
 */
export interface TaskEvent {
  seq: number;
  at: string;
  type: TaskEventType;
  taskId: string;
  state?: TaskState;
  parentTaskId?: string;
  childTaskId?: string;
  dependencyTaskId?: string;
  dependencyTaskIds?: string[];
  blockedByTaskIds?: string[];
  graphState?: GraphState;
  resultId?: string;
  synthesisId?: string;
  resultClassification?: ResultClassification;
  worktreePath?: string;
  branchName?: string;
  baseSha?: string;
  threadId?: string;
  /** Activity attempt of the session that produced a `session.*` event. */
  attempt?: number;
  commitSha?: string;
  filesChanged?: string[];
  item?: SessionItem;
  usage?: TokenUsage;
  exitCode?: number | null;
  errorCode?: string;
  message?: string;
  version?: string;
  /** Who approved, rejected or requested changes. */
  actor?: string;
  diffStat?: string;
  codexPath?: string;
}

/** An event before the workflow numbers it. */
export type TaskEventInput = Omit<TaskEvent, 'seq' | 'taskId'>;

/** What the session activity sends to its workflow while a turn runs. */
export interface SessionEventBatch {
  attempt: number;
  events: TaskEventInput[];
}

/** Memo key under which each newly appended batch of events is written into history. */
export const EVENTS_MEMO_KEY = 'codexEvents';
