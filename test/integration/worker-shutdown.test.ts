/**
 * Deploys are not interrupts (issue 4, item 7): a worker stopped with SIGTERM mid-turn gives the
 * turn back (its codex process ends, the attempt fails), and the next worker retries it on the
 * same thread and worktree. The task never becomes `interrupted`: only an operator does that.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';
import { findCodexProcessesIn, isAlive } from '../../src/activities/orphaned-codex';
import { eventually, RunnerHarness, WorkerProcess } from '../support/runner-harness';
import { exec, hang, say, type ScriptHandle } from '../../src/scripted-model/scripted-model-server';
import { historyOf, statesFromHistory } from '../support/task-events';

/** Pids of the processes whose command line matches `pattern` (`pgrep -f`). */
async function findProcessesWith(pattern: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('pgrep', ['-f', pattern]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

let harness: RunnerHarness;
let worker: WorkerProcess;
const timings: string[] = [];

beforeAll(async () => {
  harness = await RunnerHarness.start();
  worker = await harness.startWorker();
});

afterAll(async () => {
  await harness?.stop();
  if (timings.length > 0) process.stderr.write(`worker shutdown timings: ${timings.join('; ')}\n`);
});

describe('SIGTERM to the worker in the middle of a turn', () => {
  const taskId = 'deploy-mid-turn';
  let repo: string;
  let worktree: string;
  let script: ScriptHandle;
  let threadId: string;
  let exitCode: number | null;
  let stopSeconds: number;
  let codexAfterStop: number[];

  beforeAll(async () => {
    repo = await harness.makeRepo();
    worktree = path.join(repo, '.plato', 'worktrees', taskId);
    script = harness.model.script({
      when: 'deploy-marker',
      steps: [hang(), exec('echo after the deploy > deployed.txt'), say('finished on the new worker')],
    });
    await harness.client.startTask({ taskId, repoPath: repo, prompt: 'Write deployed.txt (deploy-marker)' });
    await script.waitForRequests(1);
    threadId = await eventually(async () => (await harness.client.getTask(taskId)).threadId, 30_000, 'the thread id');

    const stopping = Date.now();
    exitCode = await worker.stop('SIGTERM');
    stopSeconds = (Date.now() - stopping) / 1000;
    codexAfterStop = await findCodexProcessesIn(worktree);
    const restarting = Date.now();
    worker = await harness.startWorker();
    await harness.client.waitForTask(taskId);
    timings.push(`SIGTERM to exit ${stopSeconds.toFixed(1)} s`, `new worker start to completion ${((Date.now() - restarting) / 1000).toFixed(1)} s`);
  }, 120_000);

  it('stops the worker within its grace time, its codex process ended', () => {
    expect(exitCode).toBe(0);
    expect(stopSeconds).toBeLessThan(20);
    expect(codexAfterStop).toEqual([]);
  });

  it('completes on the next worker, on the same thread and worktree', async () => {
    const task = await harness.client.getTask(taskId);
    expect(task).toMatchObject({ state: 'completed', threadId, worktreePath: worktree, finalMessage: 'finished on the new worker' });
    expect(await simpleGit(repo).show([`plato/task-${taskId}:deployed.txt`])).toBe('after the deploy\n');
    const [, resumed] = script.requests;
    expect(resumed?.userText).toContain('Write deployed.txt (deploy-marker)');
    expect(resumed?.userText).toContain('cut off because the runner restarted');
  });

  it('never becomes interrupted: the retry is recorded as a recovery, not an interrupt', async () => {
    // Every state the task took after `queued` (set when it started) is in its history; a query,
    // which waits for a worker, could miss one during the deploy.
    const history = await historyOf(harness.client, taskId);
    expect(statesFromHistory(history)).toEqual(['running', 'completed']);
    const events = await harness.client.listEvents(taskId);
    const types = events.map((event) => event.type);
    expect(types).not.toContain('task.interrupted');
    expect(types).not.toContain('task.resumed');
    expect(events.filter((event) => event.type === 'session.recovered')).toEqual([expect.objectContaining({ attempt: 2, threadId })]);
    expect(events.filter((event) => event.type === 'session.started').map((event) => event.threadId)).toEqual([threadId]);
  });
});

it('stops a worker started through npx when npx gets SIGTERM (npm does not pass the signal on)', async () => {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const npx = spawn('npx', ['codex-runner', 'worker', '--config-path', harness.configPath], {
    cwd: repoRoot,
    env: harness.env({ PATH: process.env.PATH ?? '/usr/bin:/bin', npm_config_cache: path.join(harness.codexEnv.root, 'npm-cache') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = new WorkerProcess(npx);
  await started.ready();
  // The worker is npx's grandchild (npm runs the bin through a shell): the node process with its config path.
  const workerPid = await eventually(async () => (await findProcessesWith(`^node .*codex-runner worker --config-path ${harness.configPath}`))[0]);
  npx.kill('SIGTERM');
  try {
    await eventually(() => Promise.resolve(!isAlive(workerPid)), 20_000, 'the worker to stop');
  } finally {
    if (isAlive(workerPid)) process.kill(workerPid, 'SIGKILL');
  }
});
