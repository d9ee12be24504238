import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type HostSettings } from '../activities';
import { HostLoad, holdingSlot, hostStep } from '../activities/host-load';
import { loadTemporalTarget, type TemporalTarget } from '../client/connection';
import { CodexRunnerError, TemporalUnavailableError } from '../client/errors';
import type { RunnerConfig } from '../contracts/config';
import { ErrorCode } from '../contracts/errors';
import { DEFAULT_TASK_QUEUE, hostNameFrom, hostNameProblem, hostTaskQueue, placementTaskQueue, sessionTaskQueue, taskQueueProblem } from '../contracts/ids';
import { assertNicedLaunchWorks, startsNiced } from '../host/codex-binary';
import { checkCodexCredentials, resolveOpenAIApiKey } from '../host/credentials';
import { loadRunnerConfig } from '../host/runner-config';
import { startOfflineModel, type OfflineModel } from '../scripted-model/offline-model';
import { DEFAULT_MAX_CONCURRENT_TASKS, DEFAULT_SESSION_NICE } from './worker-defaults';
import { WORKFLOW_CODE } from './workflow-code';

export interface RunWorkerOptions {
  /** Codex sessions this worker host runs at once (default 4). */
  maxConcurrentTasks?: number;
  /**
   * Steps below this process's CPU priority that Codex sessions (codex and the commands it runs)
   * run at, 0–19 (default {@link DEFAULT_SESSION_NICE}; 0: the worker's own). POSIX only.
   */
  sessionNice?: number;
  /**
   * The task queue this worker polls (default `codex-runner`), and its sessions' queue named after
   * it: the worker runs only the tasks started on it.
   */
  taskQueue?: string;
  /**
   * This host's name in a pool of worker hosts (default: the machine's hostname). Tasks placed on
   * it stay on it: workers of one host share its name, workers of different hosts must not.
   */
  hostName?: string;
  configPath?: string;
  secretsPath?: string;
  target?: TemporalTarget;
  /** Called once every queue is polled, with a function that stops the workers gracefully. */
  onReady?: (shutdown: () => void) => void;
  /**
   * Stop gracefully when the process that started this one goes away. `npx` and `npm exec` run
   * the worker under a shell that a SIGTERM to npm ends without passing the signal on, which left
   * the worker running on its own.
   */
  stopWithParent?: boolean;
  /**
   * Run sessions against the bundled scripted model instead of the configured one: no network
   * and no credential needed (see src/scripted-model/offline-agent.ts for what it does).
   */
  scriptedModel?: boolean;
  /** Called before `onReady` with the scripted model's address, when {@link scriptedModel} is set. */
  onScriptedModel?: (baseUrl: string) => void;
}

/**
 * Time a turn gets to stop after SIGTERM before the worker gives up on it. The turn is aborted
 * (its codex process ends) and its attempt fails, so the next worker retries it on the same
 * thread and worktree: a deploy is not an interrupt.
 */
const SHUTDOWN_GRACE_TIME = '10 seconds';

/**
 * Workflow tasks one worker has open at once. A graph child's workflow task holds its slot while
 * its local activities (runtime check, worktree) run: with the default 40, a graph releasing
 * many children at once fills them all, and its parent's next workflow task waits out the 10 s
 * sticky schedule-to-start timeout. A slot that waits on a local activity costs little.
 */
const WORKFLOW_TASK_SLOTS = 400;

function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  const bundle = path.resolve(__dirname, '../workflow-bundle.js');
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: WORKFLOW_CODE.workflowsPath, bundlerOptions: { preloadModules: [...WORKFLOW_CODE.preloadModules] } };
}

/**
 * A worker without a credential for Codex would take tasks and fail each of them at its runtime
 * check, so it does not start. Each task still checks again (a credential can go away while the
 * worker runs, and a fixed one is picked up without a restart).
 */
function refuseWithoutCredential(config: RunnerConfig, apiKey: string | undefined): void {
  const credentials = checkCodexCredentials({ config, apiKey, env: process.env });
  if (credentials.ok) return;
  throw new CodexRunnerError(
    ErrorCode.codexVerifyFailed,
    `This worker has no credential for Codex, so it does not take tasks: ${credentials.detail}. ${credentials.fix}, then start the worker again (\`codex-runner doctor\` checks it).`,
  );
}

/** Calls `stop` once this process's parent has changed (it exited and the process was re-parented). */
function watchParent(stop: () => void): NodeJS.Timeout {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, 1_000);
  return timer.unref();
}

/** Activity slots of the host's queue for its short git steps: plenty, they take a moment each. */
const HOST_STEP_SLOTS = 100;

/** Each of `activities` as a short step of this host (see hostStep). */
function hostSteps<A extends Record<string, (...args: never[]) => Promise<unknown>>>(load: HostLoad, activities: A): A {
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, hostStep(load, activity)])) as A;
}

/** The host name a worker takes when it is given none: the machine's. */
export function defaultHostName(): string {
  return hostNameFrom(hostname());
}

/**
 * Runs this host's workers until SIGINT/SIGTERM, one per task queue (Temporal's rule):
 * - the main queue: workflows, and the git steps of tasks from before placement (local activities);
 * - the shared session queue (`<queue>-sessions`): the turns of tasks from before placement;
 * - the placement queue (`<queue>-placement`), with one slot: see placeTask;
 * - the host's queue (`<queue>@<host>`): the git steps of the tasks placed here;
 * - the host's session queue (`<queue>-sessions@<host>`): their turns and checks, with
 *   `maxConcurrentTasks` slots, so the slot count bounds this host's Codex sessions.
 */
export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const sessionNice = options.sessionNice ?? DEFAULT_SESSION_NICE;
  if (!Number.isInteger(sessionNice) || sessionNice < 0 || sessionNice > 19) {
    throw new RangeError(`sessionNice must be an integer from 0 to 19, not ${sessionNice}`);
  }
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const queueProblem = taskQueueProblem(taskQueue) ?? (options.hostName === undefined ? undefined : hostNameProblem(options.hostName));
  if (queueProblem) throw new RangeError(queueProblem);
  if (startsNiced(sessionNice)) assertNicedLaunchWorks();
  const target = options.target ?? loadTemporalTarget();
  const offline = options.scriptedModel ? await startOfflineModel() : undefined;
  try {
    await runWorkers(options, target, sessionNice, taskQueue, offline);
  } finally {
    await offline?.stop();
  }
}

/** {@link runWorker} once its options are checked, with the offline model when it runs one. */
async function runWorkers(
  options: RunWorkerOptions,
  target: TemporalTarget,
  sessionNice: number,
  taskQueue: string,
  offline: OfflineModel | undefined,
): Promise<void> {
  const loadConfig = async () => {
    const config = await loadRunnerConfig(options.configPath);
    return offline ? offline.applyTo(config) : config;
  };
  const slots = options.maxConcurrentTasks ?? DEFAULT_MAX_CONCURRENT_TASKS;
  const host = { name: options.hostName ?? defaultHostName(), load: new HostLoad(slots) };
  const settings: HostSettings = {
    host,
    loadConfig,
    loadApiKey: async () => resolveOpenAIApiKey(await loadRunnerConfig(options.configPath), options.secretsPath),
    sessionNice,
    ...(offline ? { codexEnv: offline.codexEnv } : {}),
  };
  refuseWithoutCredential(await settings.loadConfig(), await settings.loadApiKey());
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(target.connectionOptions);
  } catch (error) {
    throw new TemporalUnavailableError(target.address, error);
  }
  const { runCodexTurn, runChecks, placeTask, ...bookkeeping } = createActivities(settings);
  const sessionActivities = { runCodexTurn: holdingSlot(host.load, runCodexTurn), runChecks: holdingSlot(host.load, runChecks) };
  const sessionWorkerOptions = {
    maxConcurrentActivityTaskExecutions: slots,
    shutdownGraceTime: SHUTDOWN_GRACE_TIME,
    // Cancellation (an operator's interrupt or cancel) reaches an activity only in a heartbeat
    // response, and heartbeats are throttled to 80% of the 15 s timeout by default: one per
    // second keeps an interrupt's latency around a second, at one small RPC per session.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  } as const;
  const hostQueue = hostTaskQueue(taskQueue, host.name);
  // What the server lists as this worker's pollers (`doctor`, the Web UI): the pool's host name, not the machine's.
  const identity = `${process.pid}@${host.name}`;
  try {
    const main = await Worker.create({
      connection,
      namespace: target.namespace,
      identity,
      taskQueue,
      ...workflowSource(),
      activities: bookkeeping,
      shutdownGraceTime: SHUTDOWN_GRACE_TIME,
      maxConcurrentWorkflowTaskExecutions: WORKFLOW_TASK_SLOTS,
    });
    const sharedSessions = await Worker.create({
      connection,
      namespace: target.namespace,
      identity,
      taskQueue: sessionTaskQueue(taskQueue),
      activities: sessionActivities,
      ...sessionWorkerOptions,
    });
    const placement = await Worker.create({
      connection,
      namespace: target.namespace,
      identity,
      taskQueue: placementTaskQueue(taskQueue),
      activities: { placeTask },
      maxConcurrentActivityTaskExecutions: 1,
      shutdownGraceTime: SHUTDOWN_GRACE_TIME,
    });
    const hostStepsWorker = await Worker.create({
      connection,
      namespace: target.namespace,
      identity,
      taskQueue: hostQueue,
      activities: hostSteps(host.load, bookkeeping),
      maxConcurrentActivityTaskExecutions: HOST_STEP_SLOTS,
      shutdownGraceTime: SHUTDOWN_GRACE_TIME,
    });
    const hostSessions = await Worker.create({
      connection,
      namespace: target.namespace,
      identity,
      taskQueue: hostTaskQueue(sessionTaskQueue(taskQueue), host.name),
      activities: sessionActivities,
      ...sessionWorkerOptions,
    });
    const workers = [main, sharedSessions, placement, hostStepsWorker, hostSessions];
    const running = Promise.all(workers.map((worker) => worker.run()));
    const shutdown = () => {
      for (const worker of workers) worker.shutdown();
    };
    const parentWatch = options.stopWithParent ? watchParent(shutdown) : undefined;
    if (offline) options.onScriptedModel?.(offline.baseUrl);
    options.onReady?.(shutdown);
    await running.finally(() => clearInterval(parentWatch));
  } finally {
    await connection.close();
  }
}
