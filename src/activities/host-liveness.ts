import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { polledRecently } from '../contracts/pollers';

/**
 * Whether a worker still polls `taskQueue` (a host's queue; see polledRecently): asked when a
 * step scheduled there waited too long for a worker. No recent poll: the host is lost. Runs as a local activity, in the worker of the workflow.
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
  const now = Date.now();
  return lastPolls.some((at) => polledRecently(at, now));
}
