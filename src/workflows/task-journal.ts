import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { EVENTS_MEMO_KEY, type SessionEventBatch, type TaskEvent, type TaskEventInput, type TaskEventType } from '../contracts/events';
import { describeEvent } from '../contracts/describe-event';
import { CodexParentTaskId, CodexPriority, CodexRepoPath, CodexTaskState } from '../contracts/search-attributes';
import type { TaskRecord, TaskState, ValidTaskWorkflowInput } from '../contracts/task';

/**
 * The task's record and its numbered event log, kept inside the workflow.
 *
 * Every event is also written into history, as a memo upsert holding just the new events
 * (`WorkflowPropertiesModified` carries the upserted fields only, and the memo itself keeps only
 * the latest batch). So the full event log, with its sequence numbers and timestamps, can be
 * rebuilt from history alone (`eventsFromHistory`), with no worker running.
 *
 * With `lean` (the `lean-task` patch), the events appended during one workflow activation go into
 * one upsert, made in a microtask once the activation's code has run (before the activation's
 * commands are collected, and before a workflow's completion, which settles later), and the
 * initial search attributes are upserted only where the workflow did not start with them.
 * Without it (histories recorded before the patch) each event is upserted as it is appended.
 */
export class TaskJournal {
  readonly record: TaskRecord;
  readonly events: TaskEvent[] = [];
  private readonly lean: boolean;
  private unwritten: TaskEvent[] = [];

  constructor(input: ValidTaskWorkflowInput, { lean }: { lean: boolean }) {
    this.lean = lean;
    const startedAt = workflowInfo().startTime.toISOString();
    this.record = {
      taskId: input.taskId,
      repoPath: input.repoPath,
      prompt: input.prompt,
      priority: input.priority,
      state: 'queued',
      ...(input.parentTaskId ? { parentTaskId: input.parentTaskId } : {}),
      ...(input.dependencyTaskIds ? { dependencyTaskIds: input.dependencyTaskIds } : {}),
      ...(input.baseRef ? { baseRef: input.baseRef } : {}),
      createdAt: startedAt,
      updatedAt: startedAt,
    };
    const initial: SearchAttributeUpdatePair[] = [
      { key: CodexTaskState, value: 'queued' },
      { key: CodexRepoPath, value: input.repoPath },
      { key: CodexPriority, value: input.priority },
      ...(input.parentTaskId ? [{ key: CodexParentTaskId, value: input.parentTaskId }] : []),
    ];
    // The client and a graph parent start workflows with these set; `temporal workflow start` does not.
    const startedWith = workflowInfo().typedSearchAttributes;
    const missing = lean ? initial.filter(({ key, value }) => startedWith.get(key) !== value) : initial;
    if (missing.length > 0) upsertSearchAttributes(missing);
  }

  /** Appends one event stamped with workflow time (deterministic on replay). */
  emit(type: TaskEventType, fields: Omit<TaskEventInput, 'type' | 'at'> = {}): TaskEvent {
    const [event] = this.append([{ type, at: new Date().toISOString(), ...fields }]);
    return event!;
  }

  /** Appends a batch the session activity sent, keeping the activity's own timestamps. */
  appendSessionEvents(batch: SessionEventBatch): void {
    for (const event of batch.events) {
      if (event.type === 'session.started' && event.threadId) this.update({ threadId: event.threadId });
    }
    this.append(batch.events.map((event) => ({ ...event, attempt: event.attempt ?? batch.attempt })));
  }

  update(fields: Partial<Omit<TaskRecord, 'taskId' | 'state'>>): void {
    Object.assign(this.record, fields, { updatedAt: new Date().toISOString() });
  }

  setState(state: TaskState): void {
    if (this.record.state === state) return;
    this.update({});
    this.record.state = state;
    upsertSearchAttributes([{ key: CodexTaskState, value: state }]);
    this.refreshDetails();
  }

  private append(inputs: TaskEventInput[]): TaskEvent[] {
    if (inputs.length === 0) return [];
    const first = this.events.length + 1;
    const appended = inputs.map((input, i) => ({ ...input, seq: first + i, taskId: this.record.taskId }));
    this.events.push(...appended);
    if (!this.lean) {
      upsertMemo({ [EVENTS_MEMO_KEY]: appended });
    } else {
      if (this.unwritten.length === 0) void Promise.resolve().then(() => this.writeUnwritten());
      this.unwritten.push(...appended);
    }
    this.refreshDetails();
    return appended;
  }

  private writeUnwritten(): void {
    upsertMemo({ [EVENTS_MEMO_KEY]: this.unwritten });
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
    setCurrentDetails(lines.join('\n\n'));
  }
}
