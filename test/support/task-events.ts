import type { temporal } from '@temporalio/proto';
import type { SessionEventBatch, TaskEvent } from '../../src/contracts/events';

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
