import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostNameFrom, taskWorkflowId } from '../../src/contracts/ids';
import { useRunnerHarness, type CliRun, type WorkerProcess } from '../support/runner-harness';
import { exec, httpError, say } from '../../src/scripted-model/scripted-model-server';

// `npm run demo` past its installs: scripts/demo.ts against the harness's dev server, while the
// harness's own worker polls the default task queue of the same server, as a user's worker would.
const harness = useRunnerHarness();
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const homes: string[] = [];

afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
});

async function runDemo(config?: unknown): Promise<CliRun & { graphId: string }> {
  const platoHome = await mkdtemp(path.join(harness().codexEnv.root, 'demo-home-'));
  homes.push(platoHome);
  if (config !== undefined) await writeFile(path.join(platoHome, 'config.json'), JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: REPO_ROOT, env: harness().env({ PLATO_HOME: platoHome }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once('close', (exitCode) => resolve(exitCode ?? -1)));
  const graphId = /Task graph (demo-[a-z0-9]+) started/.exec(stdout)?.[1];
  if (graphId === undefined) throw new Error(`the demo started no graph (exit ${code}):\n${stdout}\n${stderr}`);
  return { code, stdout, stderr, graphId };
}

/** Who took each workflow task and activity task of a task's workflow, and the queue it was started on. */
async function workersOf(taskId: string): Promise<{ taskQueue: string; identities: Set<string> }> {
  const history = await harness().client.temporal.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
  const identities = new Set<string>();
  let taskQueue = '';
  for (const event of history.events ?? []) {
    taskQueue ||= event.workflowExecutionStartedEventAttributes?.taskQueue?.name ?? '';
    const identity = event.workflowTaskStartedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
    if (identity) identities.add(identity);
  }
  return { taskQueue, identities };
}

// A worker polls as `<pid>@<its host name>` (run-worker.ts).
const identityOf = (worker: WorkerProcess) => `${worker.child.pid}@${hostNameFrom(hostname())}`;

describe('the demo without credentials, with another worker on the server', () => {
  let demo: CliRun & { graphId: string };
  let foreign: WorkerProcess;

  beforeAll(async () => {
    foreign = await harness().startWorker();
    demo = await runDemo();
  }, 300_000);

  it('completes, and says that its tasks go to a task queue of its own', () => {
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain(
      `Its tasks go to task queue codex-runner-${demo.graphId}, which only the demo's own worker polls: other workers on this server do not take them.`,
    );
    expect(demo.stdout).toContain(`graph ${demo.graphId}: completed`);
  });

  it("ran every task on the demo's worker alone: the other workers took nothing", async () => {
    const taskIds = [demo.graphId, ...['greet', 'test', 'license', 'changelog', 'editorconfig'].map((name) => `${demo.graphId}-${name}`)];
    const workers = await Promise.all(taskIds.map(workersOf));
    const identities = new Set(workers.flatMap((worker) => [...worker.identities]));
    expect(workers.map((worker) => worker.taskQueue)).toEqual(taskIds.map(() => `codex-runner-${demo.graphId}`));
    expect(identities.size).toBe(1);
    expect(identities.has(identityOf(foreign))).toBe(false);

    // The other worker was polling all along: a task started on the default queue runs on a harness worker.
    harness().model.script({ when: 'default-queue-marker', steps: [exec('echo ok > ok.txt'), say('done')] });
    const repo = await harness().makeRepo();
    await harness().client.startTask({ taskId: 'after-demo', repoPath: repo, prompt: 'Write ok.txt (default-queue-marker)' });
    expect((await harness().client.waitForTask('after-demo')).state).toBe('completed');
    const after = await workersOf('after-demo');
    expect(after.taskQueue).toBe('codex-runner');
    expect([...after.identities].some((identity) => identities.has(identity))).toBe(false);
  });
});

it('ends with its summary when a task fails: which one, its code and message, where its events are; and exits non-zero', async () => {
  // A configured model provider counts as credentials: the demo's worker uses the user's config,
  // here the harness's scripted model, which refuses the greet task.
  const model = harness().model;
  model.script({
    when: 'Add greet.sh',
    steps: [httpError(400, { error: { message: 'greet refused by the model', type: 'invalid_request_error', code: null } })],
  });
  for (const marker of ['MIT LICENSE', 'CHANGELOG.md', '.editorconfig']) model.script({ when: marker, steps: [say(`Done: ${marker}.`)] });
  const demo = await runDemo({ codex: { config: model.codexConfig() } });

  expect(demo.code).toBe(1);
  expect(demo.stdout).toContain('Using your configured credentials: model provider "mock" from the config file (no credential needed).');
  expect(demo.stdout).toContain(`graph ${demo.graphId}: failed`);
  const summary = demo.stdout.slice(demo.stdout.indexOf('The graph ended failed. What failed:'));
  expect(summary).toMatch(new RegExp(`\\n  ${demo.graphId}-greet: CODEX_TURN_FAILED: .*greet refused by the model`));
  expect(summary).toContain(`\n    npx codex-runner events ${demo.graphId}-greet\n`);
  expect(summary).toMatch(new RegExp(`\\n  ${demo.graphId}-test: TASK_GRAPH_DEPENDENCY_FAILED: `));
  expect(summary).not.toContain(`${demo.graphId}-license:`);
  expect(summary).toContain('More to try:');
}, 300_000);
