import {
  ActivityCancellationType,
  ActivityFailure,
  TimeoutFailure,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { hostTaskQueue, placementTaskQueue, sessionTaskQueue } from '../contracts/ids';

/**
 * The activities a task workflow runs on a worker host, each group with the retry and timeout
 * profile its work needs.
 *
 * A task is placed on one host before its worktree exists (`placeTask`), and from then on every
 * step that touches the worktree runs there, on the host's own queues: the short git steps on
 * `<queue>@<host>`, the turns and checks on `<queue>-sessions@<host>`, whose slots bound the
 * host's sessions. Tasks that started before placement ran their short steps as local
 * activities (in whichever worker ran the workflow task) and their sessions on the shared
 * session queue; {@link unplacedSteps} keeps that for their replay.
 */
export interface HostSteps {
  checkCodexRuntime: Activities['checkCodexRuntime'];
  provisionWorktree: Activities['provisionWorktree'];
  writeContextArtifacts: Activities['writeContextArtifacts'];
  commitTaskWork: Activities['commitTaskWork'];
  readRepoConfig: Activities['readRepoConfig'];
  copyIntoWorktree: Activities['copyIntoWorktree'];
  runCodexTurn: Activities['runCodexTurn'];
  runChecks: Activities['runChecks'];
}

// Git bookkeeping: retry transient failures (a lock, a busy disk) a few times.
const GIT_STEP_OPTIONS = { startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', maximumAttempts: 5 } } as const;

/**
 * A step's first use of a repository named by its URL on a host clones it into the host's mirror
 * (see repo-mirror.ts): the steps that may do it have time for a large repository. A dead worker
 * is still noticed by the step's heartbeat, not by this timeout.
 */
export const MIRROR_STEP_TIMEOUT = '30 minutes';

// A broken codex install does not heal by retrying: the activity marks those failures
// non-retryable. It may install codex from npm (about 400 MB on a first download).
const RUNTIME_CHECK_OPTIONS = { startToCloseTimeout: '15 minutes', retry: { maximumAttempts: 3 } } as const;

/**
 * How long a dead worker's turn goes unnoticed before another worker retries it. The activity
 * heartbeats every second, so even a long silent tool phase keeps it alive.
 */
const SESSION_HEARTBEAT_TIMEOUT = '15 seconds';

/**
 * The Codex turn: long and heartbeating. A retry after a crash resumes the same thread, so
 * retrying is safe; the agent's own failures are not retryable. Interrupt and cancel wait until
 * the activity confirms that its codex process is gone.
 */
const SESSION_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: SESSION_HEARTBEAT_TIMEOUT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
};

/**
 * A task's setup and verify commands: heavy work like a turn (a test suite weighs as much),
 * heartbeating every 5 s. A retry after a dead worker first kills what its commands left
 * running, then runs them again.
 */
const CHECKS_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/** The git steps of a proxy (a proxy's functions are made as they are read, so they are picked one by one). */
function gitSteps(
  proxy: Activities,
): Pick<HostSteps, 'provisionWorktree' | 'writeContextArtifacts' | 'commitTaskWork' | 'readRepoConfig' | 'copyIntoWorktree'> {
  const { provisionWorktree, writeContextArtifacts, commitTaskWork, readRepoConfig, copyIntoWorktree } = proxy;
  return { provisionWorktree, writeContextArtifacts, commitTaskWork, readRepoConfig, copyIntoWorktree };
}

/**
 * On a host's queue the short steps heartbeat (the worker does it for them): a worker killed in
 * one is noticed after this, not after the step's whole timeout.
 */
const HOST_STEP_HEARTBEAT_TIMEOUT = '10 seconds';

/**
 * How long a step waits on its host's queue before the workflow asks whether the host still has
 * workers (a turn may wait that long for one of the host's slots: it then waits again).
 */
const HOST_WAIT = '30 seconds';

/** The host a task was placed on has had no worker for a while (see hostHasWorkers): the task moves to another. */
export class HostLost extends Error {
  constructor(readonly host: string) {
    super(`Host ${host} has had no worker polling its queue`);
  }
}

const { hostHasWorkers } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

function waitedOutOnQueue(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof TimeoutFailure && error.cause.timeoutType === 'SCHEDULE_TO_START';
}

/**
 * `step` as run on `host`: a step that no worker took within {@link HOST_WAIT} is scheduled
 * again while the host's queue is polled, and fails with {@link HostLost} once it is not.
 */
function onLiveHost<A extends unknown[], R>(host: string, hostQueue: string, step: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    for (;;) {
      try {
        return await step(...args);
      } catch (error) {
        if (!waitedOutOnQueue(error)) throw error;
        if (!(await hostHasWorkers({ taskQueue: hostQueue }))) throw new HostLost(host);
      }
    }
  };
}

/** The steps of a task placed on `host`. */
export function placedSteps(host: string): HostSteps {
  const { taskQueue } = workflowInfo();
  const hostQueue = hostTaskQueue(taskQueue, host);
  const sessionQueue = hostTaskQueue(sessionTaskQueue(taskQueue), host);
  const onHost = { heartbeatTimeout: HOST_STEP_HEARTBEAT_TIMEOUT, scheduleToStartTimeout: HOST_WAIT, taskQueue: hostQueue };
  const steps: HostSteps = {
    ...gitSteps(proxyActivities<Activities>({ ...GIT_STEP_OPTIONS, startToCloseTimeout: MIRROR_STEP_TIMEOUT, ...onHost })),
    checkCodexRuntime: proxyActivities<Activities>({ ...RUNTIME_CHECK_OPTIONS, ...onHost }).checkCodexRuntime,
    runCodexTurn: proxyActivities<Activities>({ ...SESSION_ACTIVITY_OPTIONS, scheduleToStartTimeout: HOST_WAIT, taskQueue: sessionQueue }).runCodexTurn,
    runChecks: proxyActivities<Activities>({ ...CHECKS_ACTIVITY_OPTIONS, scheduleToStartTimeout: HOST_WAIT, taskQueue: sessionQueue }).runChecks,
  };
  const entries = Object.entries(steps) as [keyof HostSteps, (...args: unknown[]) => Promise<unknown>][];
  return Object.fromEntries(entries.map(([name, run]) => [name, onLiveHost(host, hostQueue, run)])) as unknown as HostSteps;
}

/** The steps of a task that started before placement (see {@link HostSteps}). */
export function unplacedSteps(): HostSteps {
  const sessionQueue = sessionTaskQueue(workflowInfo().taskQueue);
  return {
    ...gitSteps(proxyLocalActivities<Activities>(GIT_STEP_OPTIONS)),
    checkCodexRuntime: proxyLocalActivities<Activities>(RUNTIME_CHECK_OPTIONS).checkCodexRuntime,
    runCodexTurn: proxyActivities<Activities>({ ...SESSION_ACTIVITY_OPTIONS, taskQueue: sessionQueue }).runCodexTurn,
    runChecks: proxyActivities<Activities>({ ...CHECKS_ACTIVITY_OPTIONS, taskQueue: sessionQueue }).runChecks,
  };
}

/**
 * Placement: on the placement queue every host polls, waiting as long as the pool is full. The
 * activity heartbeats while it waits on a host for a slot: if that host dies, another takes it.
 */
export function placeTask(...args: Parameters<Activities['placeTask']>): ReturnType<Activities['placeTask']> {
  return proxyActivities<Activities>({
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '20 seconds',
    taskQueue: placementTaskQueue(workflowInfo().taskQueue),
    retry: { initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '5 seconds' },
  }).placeTask(...args);
}
