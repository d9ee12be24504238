import { describeEvent } from './describe-event';
import type { TaskEvent } from './events';
import type { TaskState } from './task';

/** Bytes of a workflow's static summary the Web UI shows (Temporal's limit on it is 400). */
export const SUMMARY_MAX_BYTES = 200;
/** Bytes of a prompt in a workflow's static details (Temporal's limit on them is 20 KB). */
const PROMPT_MAX_BYTES = 8_000;

const encoder = new TextEncoder();

/** `text`, cut to at most `maxBytes` of UTF-8 with an ellipsis when it was longer. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  let cut = text;
  while (encoder.encode(`${cut}…`).length > maxBytes) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** What a task's Web UI details say about it from the start: who it is, where, and its prompt. */
export interface DescribedTask {
  taskId: string;
  repoPath: string;
  priority: number;
  prompt: string;
  parentTaskId?: string | undefined;
  dependencyTaskIds?: string[] | undefined;
}

/** A task's static details in the Web UI (Markdown): its id, its graph and prerequisites, repository, priority and prompt. */
export function taskDetails(task: DescribedTask): string {
  return [
    `**Task:** ${task.taskId}`,
    ...(task.parentTaskId ? [`**Part of:** ${task.parentTaskId}`] : []),
    ...(task.dependencyTaskIds?.length ? [`**After:** ${task.dependencyTaskIds.join(', ')}`] : []),
    `**Repository:** \`${task.repoPath}\``,
    `**Priority:** ${task.priority}`,
    `**Prompt:**`,
    '',
    truncateUtf8(task.prompt, PROMPT_MAX_BYTES),
  ].join('\n');
}

/** Memo key of a task's state and last event, which the Web UI shows with no worker running (current details need one). */
export const STATUS_MEMO_KEY = 'codexStatus';

/** The value under {@link STATUS_MEMO_KEY}. */
export interface StatusMemo {
  state: TaskState;
  lastEvent?: string;
}

export function statusMemo(state: TaskState, last: TaskEvent | undefined): StatusMemo {
  if (last === undefined) return { state };
  return { state, lastEvent: truncateUtf8(`#${last.seq} ${last.type} ${describeEvent(last)}`.trimEnd(), 300) };
}
