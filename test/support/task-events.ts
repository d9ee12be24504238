import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { CodexRunnerClient } from '../../src/client/codex-runner-client';
import type { SessionEventBatch, TaskEvent } from '../../src/contracts/events';
import { taskWorkflowId } from '../../src/contracts/ids';
import { CodexTaskState } from '../../src/contracts/search-attributes';
import type { TaskState } from '../../src/contracts/task';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A graph's terminal events: exactly one of them, `task.graph.completed` or `task.graph.failed`, when it has ended. */
export function terminalGraphEvents(events: TaskEvent[]): TaskEvent[] {
  return events.filter((event) => event.type === 'task.graph.completed' || event.type === 'task.graph.failed');
}

/** The history of a task's workflow (its latest run). */
export function historyOf(client: CodexRunnerClient, taskId: string): Promise<History> {
  return client.temporal.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
}

/** Each event's values picked by `pick`, decoded with the default payload converter. */
function decoded<T>(history: History, pick: (event: HistoryEvent) => temporal.api.common.v1.IPayload | null | undefined): T[] {
  return (history.events ?? []).flatMap((event) => {
    const payload = pick(event);
    return payload ? [defaultPayloadConverter.fromPayload<T>(payload)] : [];
  });
}

/** The names of the signals a workflow received, in order. */
export function signalNames(history: History): string[] {
  return (history.events ?? []).flatMap((event) => event.workflowExecutionSignaledEventAttributes?.signalName ?? []);
}

/** The session events a task's turn sent by signal while it ran (those in its result are not among them). */
export function signalledSessionEvents(history: History): SessionEventBatch['events'] {
  return decoded<SessionEventBatch>(history, (event) => {
    const signal = event.workflowExecutionSignaledEventAttributes;
    return signal?.signalName === 'sessionEvents' ? signal.input?.payloads?.[0] : undefined;
  }).flatMap((batch) => batch.events);
}

/**
 * Every state a task's workflow recorded, in order: each change upserts the `CodexTaskState`
 * search attribute, so the history holds all of them (a state polled by query can be missed).
 */
export function statesFromHistory(history: History): TaskState[] {
  return decoded<TaskState>(history, (event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[CodexTaskState.name]);
}

/** The patch ids a workflow's history records (its `core_patch` markers). */
export function patchIds(history: History): string[] {
  return decoded<{ id: string }>(history, (event) => event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]).map((patch) => patch.id);
}

/** The activity types of the local activities a workflow ran, in order (its `core_local_activity` markers). */
export function localActivityTypes(history: History): string[] {
  return decoded<{ activity_type: string }>(history, (event) => {
    const marker = event.markerRecordedEventAttributes;
    return marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0] : undefined;
  }).map((marker) => marker.activity_type);
}
