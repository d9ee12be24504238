import { patched, setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { describeEvent } from '../contracts/describe-event';
import { EVENTS_MEMO_KEY, type SessionEventBatch, type TaskEvent, type TaskEventInput, type TaskEventType } from '../contracts/events';
import type { TaskRecord } from '../contracts/records';
import { repositoryOf } from '../contracts/repository';
import { CodexHost, CodexTaskState, initialSearchAttributes } from '../contracts/search-attributes';
import type { TaskState } from '../contracts/task';
import { STATUS_MEMO_KEY, statusMemo } from '../contracts/web-ui';

/** Each events memo upsert also carries the task's state and last event (see web-ui.ts). */
const STATUS_MEMO_PATCH = 'status-memo';

/** What a journal is made from: a task's input, or a graph's parent. */
export interface JournalledTask {
  taskId: string;
  repoPath?: string | undefined;
  repoUrl?: string | undefined;
  prompt: string;
  priority: number;
  parentTaskId?: string | undefined;
  dependencyTaskIds?: string[] | undefined;
  baseRef?: string | undefined;
}

/**
 * The task's record and its numbered event log, kept inside the workflow.
 *
 * Every event is also written into history, as a memo upsert holding just the new events
 * (`WorkflowPropertiesModified` carries the upserted fields only, and the memo itself keeps only
 * the latest batch). So the full event log, with its sequence numbers and timestamps, can be
 * rebuilt from history alone (`eventsFromHistory`), with no worker running. The events appended
 * during one workflow activation go into one upsert, made in a microtask once the activation's
 * code has run (before its commands are collected, and before a workflow's completion, which
 * settles later).
 *
 * The task's state is also its `CodexTaskState` search attribute, and the record is summed up
 * in the Web UI's current details. Current details are a query, which needs a worker; the state
 * and the last event also go into the memo with each batch of events, so the Web UI shows them
 * when no worker runs.
 */
export class TaskJournal {
  readonly record: TaskRecord;
  readonly events: TaskEvent[] = [];
  private unwritten: TaskEvent[] = [];
  private detailsSections: string[] = [];
  private readonly stateListeners: ((before: TaskState, after: TaskState) => void)[] = [];

  constructor(task: JournalledTask) {
    const startedAt = workflowInfo().startTime.toISOString();
    this.record = {
      taskId: task.taskId,
      repoPath: repositoryOf(task),
      ...(task.repoUrl ? { repoUrl: task.repoUrl } : {}),
      prompt: task.prompt,
      priority: task.priority,
      state: 'queued',
      ...(task.parentTaskId ? { parentTaskId: task.parentTaskId } : {}),
      ...(task.dependencyTaskIds ? { dependencyTaskIds: task.dependencyTaskIds } : {}),
      ...(task.baseRef ? { baseRef: task.baseRef } : {}),
      createdAt: startedAt,
      updatedAt: startedAt,
    };
    // The client and a graph parent start workflows with these set; `temporal workflow start` does not.
    const startedWith = workflowInfo().typedSearchAttributes;
    const missing = initialSearchAttributes({ ...task, repoPath: repositoryOf(task) }).filter(({ key, value }) => startedWith.get(key) !== value);
    if (missing.length > 0) upsertSearchAttributes(missing);
  }

  /** Appends one event stamped with workflow time (deterministic on replay). */
  emit(type: TaskEventType, fields: Omit<TaskEventInput, 'type' | 'at'> = {}): TaskEvent {
    const [event] = this.append([{ type, at: new Date().toISOString(), ...fields }]);
    return event!;
  }

  /** Appends events an activity reported (a turn's batch, a runtime install's), keeping the activity's own timestamps. */
  appendSessionEvents(batch: SessionEventBatch): void {
    for (const event of batch.events) {
      if (event.type === 'session.started' && event.threadId) this.update({ threadId: event.threadId });
    }
    this.append(batch.events.map((event) => ({ ...event, attempt: event.attempt ?? batch.attempt })));
  }

  update(fields: Partial<Omit<TaskRecord, 'taskId' | 'state'>>): void {
    Object.assign(this.record, fields, { updatedAt: new Date().toISOString() });
  }

  /** Records the host the task is placed on, filterable as the `CodexHost` search attribute. */
  placedOn(host: string): void {
    this.update({ host });
    upsertSearchAttributes([{ key: CodexHost, value: host }]);
    this.emit('task.placed', { host, message: `On host ${host}` });
  }

  setState(state: TaskState): void {
    const before = this.record.state;
    if (before === state) return;
    this.update({});
    this.record.state = state;
    upsertSearchAttributes([{ key: CodexTaskState, value: state }]);
    this.refreshDetails();
    for (const listener of this.stateListeners) listener(before, state);
  }

  /** Calls `listener` after every change of the task's state. */
  onStateChange(listener: (before: TaskState, after: TaskState) => void): void {
    this.stateListeners.push(listener);
  }

  /** Markdown shown in the Web UI's current details after the record's own lines (a graph's children). */
  setDetails(sections: string[]): void {
    this.detailsSections = sections;
    this.refreshDetails();
  }

  private append(inputs: TaskEventInput[]): TaskEvent[] {
    if (inputs.length === 0) return [];
    const first = this.events.length + 1;
    const appended = inputs.map((input, i) => ({ ...input, seq: first + i, taskId: this.record.taskId }));
    this.events.push(...appended);
    if (this.unwritten.length === 0) void Promise.resolve().then(() => this.writeUnwritten());
    this.unwritten.push(...appended);
    this.refreshDetails();
    return appended;
  }

  private writeUnwritten(): void {
    const status = patched(STATUS_MEMO_PATCH) ? { [STATUS_MEMO_KEY]: statusMemo(this.record.state, this.events.at(-1)) } : {};
    upsertMemo({ [EVENTS_MEMO_KEY]: this.unwritten, ...status });
    this.unwritten = [];
  }

  /** The Web UI's "current details": state and last event, in Markdown. */
  private refreshDetails(): void {
    const last = this.events.at(-1);
    const lines = [`**State:** ${this.record.state}`];
    if (last) lines.push(`**Last event:** #${last.seq} \`${last.type}\` ${describeEvent(last)}`.trimEnd());
    if (this.record.worktreePath) lines.push(`**Worktree:** \`${this.record.worktreePath}\` (branch \`${this.record.branchName}\`)`);
    if (this.record.threadId) lines.push(`**Codex thread:** \`${this.record.threadId}\``);
    if (this.record.commitSha) lines.push(`**Commit:** \`${this.record.commitSha}\``);
    if (this.record.failure) lines.push(`**Failure:** ${this.record.failure.code}: ${this.record.failure.message}`);
    setCurrentDetails([...lines, ...this.detailsSections].join('\n\n'));
  }
}
