import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type HostSettings } from '../activities';
import { loadTemporalTarget, type TemporalTarget } from '../client/connection';
import { TemporalUnavailableError } from '../client/errors';
import { SESSION_TASK_QUEUE, TASK_QUEUE } from '../contracts/ids';
import { assertNicedLaunchWorks, startsNiced } from '../host/codex-binary';
import { resolveOpenAIApiKey } from '../host/credentials';
import { CommandQueue, ForkedLauncher, useLauncher } from '../host/launcher';
import { loadRunnerConfig } from '../host/runner-config';
import { GIT_COMMANDS_AT_ONCE, rankByActivity } from './git-queue';
import { WORKFLOW_CODE } from './workflow-code';

export interface RunWorkerOptions {
  /** Codex sessions this worker host runs at once (default 4). */
  maxConcurrentTasks?: number;
  /**
   * Steps below this process's CPU priority that Codex sessions (codex and the commands it runs)
   * run at, 0–19 (default {@link DEFAULT_SESSION_NICE}; 0: the worker's own). POSIX only.
   */
  sessionNice?: number;
  configPath?: string;
  secretsPath?: string;
  target?: TemporalTarget;
  /** Called once both workers poll, with a function that stops them gracefully. */
  onReady?: (shutdown: () => void) => void;
}

export const DEFAULT_MAX_CONCURRENT_TASKS = 4;

/**
 * Sessions run niced by default so that, when the cores are short, the agents' work waits and
 * the orchestration does not wait behind it: this worker and its git commands keep their
 * priority, so a finished task's dependents are released, and an interrupt or approval acted on,
 * without queueing behind codex (the benchmark's dependency latency at N = 200 on 2 cores about
 * halved). Linux ranks by niceness only within one scheduling group (a cgroup, or a session
 * with autogroup on): a Temporal server started in another, as temporal-dev.sh starts it, gets
 * its group's share anyway. On an idle host niceness changes nothing.
 */
export const DEFAULT_SESSION_NICE = 10;

/**
 * Time a turn gets to stop after SIGTERM before the worker gives up on it. The turn is aborted
 * (its codex process ends) and its attempt fails, so the next worker retries it on the same
 * thread and worktree: a deploy is not an interrupt.
 */
const SHUTDOWN_GRACE_TIME = '10 seconds';

/** Workflow tasks one worker has open at once (see Worker.create below). */
const WORKFLOW_TASK_SLOTS = 400;

function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  const bundle = path.resolve(__dirname, '../workflow-bundle.js');
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: WORKFLOW_CODE.workflowsPath, bundlerOptions: { preloadModules: [...WORKFLOW_CODE.preloadModules] } };
}

/**
 * Runs this host's workers until SIGINT/SIGTERM: one polls the main task queue (workflows and
 * git bookkeeping), the other the session queue with `maxConcurrentTasks` activity slots, so
 * the slot count bounds Codex sessions and nothing else.
 */
export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const sessionNice = options.sessionNice ?? DEFAULT_SESSION_NICE;
  if (!Number.isInteger(sessionNice) || sessionNice < 0 || sessionNice > 19) {
    throw new RangeError(`sessionNice must be an integer from 0 to 19, not ${sessionNice}`);
  }
  if (startsNiced(sessionNice)) assertNicedLaunchWorks();
  const target = options.target ?? loadTemporalTarget();
  const settings: HostSettings = {
    loadConfig: () => loadRunnerConfig(options.configPath),
    loadApiKey: async () => resolveOpenAIApiKey(await loadRunnerConfig(options.configPath), options.secretsPath),
    sessionNice,
  };
  await settings.loadConfig();
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(target.connectionOptions);
  } catch (error) {
    throw new TemporalUnavailableError(target.address, error);
  }
  // Git commands start from a small helper process (a fork of this one costs 15–30 ms of CPU), a
  // few at a time; one held up by a hook or a lock gives its place up after 10 s (the
  // crash-recovery test holds five inside git at once).
  const forked = new ForkedLauncher();
  const restoreLauncher = useLauncher(new CommandQueue(forked, GIT_COMMANDS_AT_ONCE, rankByActivity));
  const { runCodexTurn, ...bookkeeping } = createActivities(settings);
  const slots = options.maxConcurrentTasks ?? DEFAULT_MAX_CONCURRENT_TASKS;
  try {
    const main = await Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue: TASK_QUEUE,
      ...workflowSource(),
      activities: bookkeeping,
      shutdownGraceTime: SHUTDOWN_GRACE_TIME,
      // A graph child's workflow task holds its slot while its local activities (runtime check,
      // worktree) run. With the default 40 slots, a graph releasing 160 children at once filled
      // them all for seconds, and the parent's next workflow task waited out the 10 s sticky
      // schedule-to-start timeout before it could release the next chain link (benchmark,
      // N = 200). Slots that wait on local activities cost little; the git work itself is
      // bounded by the launcher's queue.
      maxConcurrentWorkflowTaskExecutions: WORKFLOW_TASK_SLOTS,
    });
    const sessions = await Worker.create({
      connection,
      namespace: target.namespace,
      taskQueue: SESSION_TASK_QUEUE,
      activities: { runCodexTurn },
      maxConcurrentActivityTaskExecutions: slots,
      shutdownGraceTime: SHUTDOWN_GRACE_TIME,
      // Cancellation (an operator's interrupt or cancel) reaches an activity only in a heartbeat
      // response, and heartbeats are throttled to 80% of the 15 s timeout by default: one per
      // second keeps an interrupt's latency around a second, at one small RPC per session.
      maxHeartbeatThrottleInterval: '1 second',
      defaultHeartbeatThrottleInterval: '1 second',
    });
    const running = Promise.all([main.run(), sessions.run()]);
    options.onReady?.(() => {
      main.shutdown();
      sessions.shutdown();
    });
    await running;
  } finally {
    restoreLauncher();
    forked.close();
    await connection.close();
  }
}
