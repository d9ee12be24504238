/**
 * The benchmark's floor (see ./baseline.ts): the least Temporal a task graph can be made of, as
 * the issue lays one out. A parent workflow starts one child workflow per task, at most `slots`
 * at once, ready ones in input order, a dependent once its prerequisite has completed; each
 * child runs the baseline's work for its task (worktree, codex turn, commit) in one activity.
 * No search attributes, memo, events, signals, local activities or graph branch.
 */
import { condition, executeChild, proxyActivities } from '@temporalio/workflow';
import { GraphScheduler, type ScheduledChild } from '../../src/workflows/graph-scheduler';

export interface FloorActivities {
  /** The baseline's work for one task from `base`; returns its commit. */
  floorTask(taskId: string, base: string): Promise<string>;
}

export interface FloorGraph {
  baseSha: string;
  slots: number;
  /** In input order; one prerequisite at most. */
  children: ScheduledChild[];
}

// One attempt: a retry would find its branch and worktree there already, and fail forever.
const { floorTask } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 1 } });

export async function floorChild(taskId: string, base: string): Promise<string> {
  return floorTask(taskId, base);
}

/** Runs the graph by the graph's own rules (GraphScheduler), with the slots as its limit. */
export async function floorGraph({ baseSha, slots, children }: FloorGraph): Promise<void> {
  const scheduler = new GraphScheduler(children, { maxConcurrentTasks: slots, sessionWindow: false });
  let ended = 0;
  let failure: Error | undefined;
  while (!scheduler.finished) {
    for (const { taskId, prerequisites } of scheduler.release()) {
      executeChild(floorChild, { workflowId: `floor-${taskId}`, args: [taskId, prerequisites[0]?.commitSha ?? baseSha] }).then(
        (commitSha) => {
          ended++;
          scheduler.childCompleted(taskId, commitSha);
        },
        (error: unknown) => (failure = error instanceof Error ? error : new Error(String(error))),
      );
    }
    const seen = ended;
    await condition(() => failure !== undefined || ended !== seen);
    if (failure !== undefined) throw failure;
  }
}
