import type { AgentRuntimeSelector, OrchestrationEvent, OrchestrationTaskRecord, OrchestrationTaskState } from '../orchestration/contracts';
import type { TaskOrchestrationService } from '../orchestration/task-orchestration-service';
import { TaskNotFoundError } from '../client/errors';

/** States in which a task waits on nothing but its own work: a waiter keeps waiting through them. */
const BUSY_STATES: readonly OrchestrationTaskState[] = ['queued', 'running'];

/** How often a waiter reads the task's new events; a turn lasts tens of seconds or more. */
export const WAIT_POLL_MS = 1_000;

/** What a waiting tool call can do besides its work: report progress, and hear that its caller gave up. */
export interface ToolCallContext {
  /** Sends an MCP progress notification, when the caller asked for them (a no-op otherwise). */
  progress(progress: number, message: string): Promise<void>;
  /** Aborted when the caller cancels the call, or its connection closes. */
  signal: AbortSignal;
}

export interface TaskWait {
  task: OrchestrationTaskRecord;
  /** False when the wait ended before the task left `queued` or `running`: call again to keep waiting. */
  settled: boolean;
  /** Events the task recorded while this call waited. */
  events: number;
}

/** An event as one line of progress: `session.completed: Turn finished`. */
export function progressMessage(event: Pick<OrchestrationEvent, 'type' | 'message'>): string {
  return event.message ? `${event.type}: ${event.message}` : event.type;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits until the task needs someone or has ended (any state but `queued` and `running`), or
 * `timeoutMs` passes, sending one progress notification per event the task records meanwhile
 * (progress counts them). Events from before the call are not replayed: `plato.list_task_events`
 * reads those.
 * @throws TaskNotFoundError when no runtime knows the task.
 */
export async function waitForTask(
  service: TaskOrchestrationService,
  taskId: string,
  options: { timeoutMs: number; selector?: AgentRuntimeSelector | undefined },
  context: ToolCallContext,
): Promise<TaskWait> {
  const deadline = Date.now() + options.timeoutMs;
  const read = async (): Promise<OrchestrationTaskRecord> => {
    const task = await service.getTask(taskId, options.selector);
    if (task === undefined) throw new TaskNotFoundError(taskId);
    return task;
  };
  let afterSeq = (await service.listEvents(taskId, options.selector)).at(-1)?.seq ?? 0;
  let events = 0;
  for (;;) {
    const task = await read();
    for (const event of await service.listEvents(taskId, { ...options.selector, afterSeq })) {
      afterSeq = event.seq ?? afterSeq;
      events += 1;
      await context.progress(events, progressMessage(event));
    }
    const settled = !BUSY_STATES.includes(task.state);
    const remaining = deadline - Date.now();
    if (settled || remaining <= 0 || context.signal.aborted) return { task, settled, events };
    await pause(Math.min(WAIT_POLL_MS, remaining), context.signal);
  }
}
