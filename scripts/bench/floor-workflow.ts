/**
 * The benchmark's floor (see ./baseline.ts): the least Temporal a task graph can be made of, as
 * the issue lays one out. A parent workflow starts one child workflow per task, at most `slots`
 * at once, ready ones in input order, a dependent once its prerequisite has completed; each
 * child runs the baseline's work for its task (worktree, codex turn, commit) in one activity.
 * No search attributes, memo, events, signals, local activities or graph branch.
 */
import { condition, executeChild, proxyActivities } from '@temporalio/workflow';
import { ReadyQueue, type QueuedTask } from './ready-queue';

export interface FloorActivities {
  /** The baseline's work for one task from `base`; returns its commit. */
  floorTask(taskId: string, base: string): Promise<string>;
}

export interface FloorGraph {
  baseSha: string;
  slots: number;
  /** In input order. */
  children: QueuedTask[];
}

// One attempt: a retry would find its branch and worktree there already, and fail forever.
const { floorTask } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 1 } });

export async function floorChild(taskId: string, base: string): Promise<string> {
  return floorTask(taskId, base);
}

export async function floorGraph({ baseSha, slots, children }: FloorGraph): Promise<void> {
  const queue = new ReadyQueue(children, baseSha);
  let running = 0;
  let failure: Error | undefined;
  for (;;) {
    await condition(() => failure !== undefined || queue.allDone || (running < slots && queue.hasReady));
    if (failure !== undefined) throw failure;
    if (queue.allDone) return;
    const { task, base } = queue.take()!;
    running++;
    executeChild(floorChild, { workflowId: `floor-${task.taskId}`, args: [task.taskId, base] }).then(
      (commitSha) => {
        running--;
        queue.done(task.taskId, commitSha);
      },
      (error: unknown) => (failure = error instanceof Error ? error : new Error(String(error))),
    );
  }
}
