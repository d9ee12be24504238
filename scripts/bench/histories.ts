/**
 * What the benchmark reads from workflow histories: their size (events, and bytes as the
 * protobuf-encoded `temporal.api.history.v1.History`, which is what Temporal's 50 MB limit
 * counts), the task events (`eventsFromHistory`), and where a child's time went between its
 * release and its end (the Codex turn's scheduled/started/completed times, and what came before
 * and after it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { eventsFromHistory } from '../../src/client/history-events';
import type { TaskEvent } from '../../src/contracts/events';
import { taskWorkflowId } from '../../src/contracts/ids';

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

export interface HistorySize {
  taskId: string;
  events: number;
  bytes: number;
}

/** Milliseconds of one child's life, from its release signal to its workflow's completion. */
export interface ChildTimeline {
  /** Release signal received → workflow completed. */
  totalMs: number;
  /** Per activity type: scheduled → started (queue wait; for the Codex turn, waiting for a slot). */
  queuedMs: Record<string, number>;
  /** Per activity type: started → completed. */
  ranMs: Record<string, number>;
  /**
   * Release signal → Codex turn scheduled: the runtime check and the worktree (local activities,
   * which leave no timing of their own in history) and the workflow tasks around them.
   */
  beforeTurnMs: number;
  /** Codex turn completed → workflow completed: the commit (a local activity) and the last workflow tasks. */
  afterTurnMs: number;
}

/** The workflow tasks of one history: how long each waited for a worker and how long the worker took. */
export interface WorkflowTaskTimes {
  /** WorkflowTaskScheduled → WorkflowTaskStarted, ms, one per completed workflow task. */
  scheduleToStartMs: number[];
  /** WorkflowTaskStarted → WorkflowTaskCompleted, ms. */
  startToCompleteMs: number[];
  /** Workflow tasks the worker did not complete in time (10 s by default) or that failed. */
  timedOut: number;
  failed: number;
}

/** A graph parent's first batch of release signals: how many, and how long until the last was acknowledged. */
export interface FirstReleases {
  signals: number;
  /** First SignalExternalWorkflowExecutionInitiated → last ExternalWorkflowExecutionSignaled of the batch. */
  lastAckMs: number;
}

export interface FetchedHistory {
  size: HistorySize;
  events: TaskEvent[];
  timeline?: ChildTimeline;
  workflowTasks: WorkflowTaskTimes;
  firstReleases?: FirstReleases;
}

export function workflowTaskTimes(history: History): WorkflowTaskTimes {
  const times: WorkflowTaskTimes = { scheduleToStartMs: [], startToCompleteMs: [], timedOut: 0, failed: 0 };
  const at = new Map<string, number>();
  for (const event of history.events ?? []) {
    at.set(String(event.eventId), tsToMs(event.eventTime));
    const started = event.workflowTaskStartedEventAttributes;
    if (started) times.scheduleToStartMs.push(tsToMs(event.eventTime) - at.get(String(started.scheduledEventId))!);
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed) times.startToCompleteMs.push(tsToMs(event.eventTime) - at.get(String(completed.startedEventId))!);
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) times.timedOut++;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) times.failed++;
  }
  return times;
}

/**
 * The parent's first batch of release signals (those sent in one workflow task): how many, and
 * how long until the last of them was acknowledged.
 */
export function firstReleases(history: History): FirstReleases | undefined {
  const events = history.events ?? [];
  const first = events.find((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes);
  if (!first) return undefined;
  const batch = first.signalExternalWorkflowExecutionInitiatedEventAttributes!.workflowTaskCompletedEventId?.toString();
  const initiated = new Set(
    events
      .filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId?.toString() === batch)
      .map((event) => String(event.eventId)),
  );
  const acks = events.filter((event) => initiated.has(String(event.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId)));
  if (acks.length === 0) return undefined;
  return { signals: initiated.size, lastAckMs: Math.max(...acks.map((event) => tsToMs(event.eventTime))) - tsToMs(first.eventTime) };
}

/** Where a child's time went, or undefined when it never completed. */
export function childTimeline(history: History): ChildTimeline | undefined {
  const events = history.events ?? [];
  // A child ready when its graph started comes released: its release is its start.
  const release = events.find((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'graphRelease') ?? events[0];
  const end = events.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  if (!release || !end) return undefined;
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  const queuedMs: Record<string, number> = {};
  const ranMs: Record<string, number> = {};
  let turnScheduledAt: number | undefined;
  let turnCompletedAt: number | undefined;
  for (const event of events) {
    const id = String(event.eventId);
    const at = tsToMs(event.eventTime);
    const scheduledAttrs = event.activityTaskScheduledEventAttributes;
    if (scheduledAttrs) scheduled.set(id, { type: scheduledAttrs.activityType?.name ?? '?', at });
    if (scheduledAttrs?.activityType?.name === 'runCodexTurn') turnScheduledAt ??= at;
    const startedId = event.activityTaskStartedEventAttributes?.scheduledEventId;
    if (startedId != null) started.set(String(startedId), at);
    const completedId = event.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (completedId != null) {
      const activity = scheduled.get(String(completedId))!;
      const startedAt = started.get(String(completedId))!;
      queuedMs[activity.type] = (queuedMs[activity.type] ?? 0) + (startedAt - activity.at);
      ranMs[activity.type] = (ranMs[activity.type] ?? 0) + (at - startedAt);
      if (activity.type === 'runCodexTurn') turnCompletedAt = at;
    }
  }
  const releasedAt = tsToMs(release.eventTime);
  const endedAt = tsToMs(end.eventTime);
  const totalMs = endedAt - releasedAt;
  return {
    totalMs,
    queuedMs,
    ranMs,
    beforeTurnMs: (turnScheduledAt ?? releasedAt) - releasedAt,
    afterTurnMs: endedAt - (turnCompletedAt ?? endedAt),
  };
}

/**
 * Fetches the histories of these tasks' workflows, `concurrency` at a time. With BENCH_DUMP=<dir>
 * each one is also saved there as JSON, to trace a run afterwards.
 */
export async function fetchHistories(client: Client, taskIds: readonly string[], concurrency = 8): Promise<Map<string, FetchedHistory>> {
  const dumpDir = process.env.BENCH_DUMP || undefined;
  if (dumpDir !== undefined) await mkdir(dumpDir, { recursive: true });
  const fetched = new Map<string, FetchedHistory>();
  const queue = [...taskIds];
  const fetchNext = async (): Promise<void> => {
    for (let taskId = queue.shift(); taskId !== undefined; taskId = queue.shift()) {
      const history = await client.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
      if (dumpDir !== undefined) await writeFile(join(dumpDir, `${taskId}.json`), JSON.stringify(history));
      const bytes = temporal.api.history.v1.History.encode(history).finish().length;
      const timeline = childTimeline(history);
      fetched.set(taskId, {
        size: { taskId, events: history.events?.length ?? 0, bytes },
        events: eventsFromHistory(history),
        ...(timeline ? { timeline } : {}),
        workflowTasks: workflowTaskTimes(history),
        ...(firstReleases(history) ? { firstReleases: firstReleases(history)! } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, fetchNext));
  return fetched;
}
