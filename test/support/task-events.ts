import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { SessionEventBatch, TaskEvent } from '../../src/contracts/events';
import { CodexTaskState } from '../../src/contracts/search-attributes';
import type { TaskState } from '../../src/contracts/task';

/** A graph's terminal events: exactly one of them, `task.graph.completed` or `task.graph.failed`, when it has ended. */
export function terminalGraphEvents(events: TaskEvent[]): TaskEvent[] {
  return events.filter((event) => event.type === 'task.graph.completed' || event.type === 'task.graph.failed');
}

/** The session events a task's turn sent by signal while it ran (those in its result are not among them). */
export function signalledSessionEvents(history: temporal.api.history.v1.IHistory): SessionEventBatch['events'] {
  return (history.events ?? [])
    .filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'sessionEvents')
    .flatMap((event) => (JSON.parse(Buffer.from(event.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString()) as SessionEventBatch).events);
}

/**
 * Every state a task's workflow recorded, in order: each change upserts the `CodexTaskState`
 * search attribute, so the history holds all of them (a state polled by query can be missed).
 */
export function statesFromHistory(history: temporal.api.history.v1.IHistory): TaskState[] {
  return (history.events ?? []).flatMap((event) => {
    const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[CodexTaskState.name];
    return payload ? [defaultPayloadConverter.fromPayload<TaskState>(payload)] : [];
  });
}
