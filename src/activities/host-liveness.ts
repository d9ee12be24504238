import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';

/**
 * How long a host's queue may go without a poll before the host counts as lost. A worker's idle
 * long poll is renewed about once a minute, and the server records a poller when its poll
 * starts, so a live host has always polled within this.
 */
export const HOST_LOST_AFTER_MS = 90_000;

/** Whether any of `pollers` (their last poll, in ms) polled within {@link HOST_LOST_AFTER_MS} of `now`. */
export function anyPolledRecently(lastPolls: readonly (number | undefined)[], now: number): boolean {
  return lastPolls.some((at) => at !== undefined && now - at < HOST_LOST_AFTER_MS);
}

/**
 * Whether a worker still polls `taskQueue` (a host's queue): asked when a step scheduled there
 * waited too long for a worker. Runs as a local activity, in the worker of the workflow.
 */
export async function hostHasWorkers({ taskQueue }: { taskQueue: string }): Promise<boolean> {
  const { client, info } = Context.current();
  const response = await client.workflowService.describeTaskQueue({
    namespace: info.workflowNamespace ?? client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const lastPolls = (response.pollers ?? []).map((poller) => {
    const at = poller.lastAccessTime;
    return at?.seconds === undefined || at.seconds === null ? undefined : Number(at.seconds) * 1000 + Math.floor((at.nanos ?? 0) / 1e6);
  });
  return anyPolledRecently(lastPolls, Date.now());
}
