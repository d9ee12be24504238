import { ActivityCancellationType, proxyActivities, proxyLocalActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { sessionTaskQueue } from '../contracts/ids';

/**
 * The activities a task workflow runs, each group with the retry and timeout profile its work
 * needs.
 *
 * The host steps around a session (the runtime check, the worktree, context files, the commit)
 * are short and idempotent, so they are local activities: they run in the worker that runs the
 * workflow task, recorded as one marker each, with no round trip through a task queue. A worker
 * killed inside one fails its workflow task, and the next worker replays the workflow and runs
 * the step again (after the 10 s workflow task timeout).
 */

// Git bookkeeping: retry transient failures (a lock, a busy disk) a few times.
export const { provisionWorktree, writeContextArtifacts, commitTaskWork, readRepoConfig, copyIntoWorktree } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

// A broken codex install does not heal by retrying: the activity marks those failures
// non-retryable. It may install codex from npm (about 400 MB on a first download).
export const { checkCodexRuntime } = proxyLocalActivities<Activities>({ startToCloseTimeout: '15 minutes', retry: { maximumAttempts: 3 } });

/**
 * How long a dead worker's turn goes unnoticed before another worker retries it. The activity
 * heartbeats every second, so even a long silent tool phase keeps it alive.
 */
const SESSION_HEARTBEAT_TIMEOUT = '15 seconds';

const SESSION_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: SESSION_HEARTBEAT_TIMEOUT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
};

/**
 * The Codex turn: long and heartbeating, on the session queue of the workflow's own task queue,
 * whose slots bound sessions per host. A retry after a crash resumes the same thread, so retrying
 * is safe; the agent's own failures are not retryable. Interrupt and cancel wait until the
 * activity confirms that its codex process is gone.
 */
export function runCodexTurn(...args: Parameters<Activities['runCodexTurn']>): ReturnType<Activities['runCodexTurn']> {
  const taskQueue = sessionTaskQueue(workflowInfo().taskQueue);
  return proxyActivities<Activities>({ ...SESSION_ACTIVITY_OPTIONS, taskQueue }).runCodexTurn(...args);
}

/**
 * A task's setup and verify commands: on the session queue, whose slots bound the heavy work on
 * a host (a test suite weighs as much as a turn), heartbeating every 5 s. A retry after a dead
 * worker first kills what its commands left running, then runs them again.
 */
export function runChecks(...args: Parameters<Activities['runChecks']>): ReturnType<Activities['runChecks']> {
  const taskQueue = sessionTaskQueue(workflowInfo().taskQueue);
  return proxyActivities<Activities>({
    startToCloseTimeout: '12 hours',
    heartbeatTimeout: '20 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
    taskQueue,
  }).runChecks(...args);
}
