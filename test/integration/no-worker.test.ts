import { RunnerHarness, type CliRun } from '../support/runner-harness';
import { exec, say } from '../../src/scripted-model/scripted-model-server';

// The state the demo leaves: a dev server, tasks, and no worker polling their queue. Every command
// answers at once with what it can (a finished task's record and every task's events need no
// worker) or says no worker is polling and how to start one; control messages say they were
// delivered. Then a worker starts and acts on what was delivered.
let harness: RunnerHarness;
let repo: string;

beforeAll(async () => {
  harness = await RunnerHarness.start();
  repo = await harness.makeRepo();
  harness.model.script({ when: 'lonely-marker', steps: [exec('echo ok > ok.txt'), say('done')] });
  await harness.client.startTask({ taskId: 'lonely', repoPath: repo, prompt: 'Write ok.txt (lonely-marker)' });
  await harness.client.startTask({ taskId: 'doomed', repoPath: repo, prompt: 'Never runs' });
});

afterAll(async () => {
  await harness?.stop();
});

/** A CLI run that must end on its own well before a query would have timed out (30 s). */
async function promptly(args: string[]): Promise<CliRun> {
  const started = Date.now();
  let killed = false;
  const run = await harness.cli(args, {}, () => {
    if (Date.now() - started < 10_000) return false;
    killed = true;
    return true;
  });
  expect(killed).toBe(false);
  return run;
}

const NO_WORKER = 'No worker is polling task queue codex-runner (never polled)';

it('status and graph status say that no worker polls, and how to start one, in one line', async () => {
  const status = await promptly(['status', 'lonely']);
  expect(status.code).toBe(1);
  expect(status.stderr).toBe(
    `WORKER_UNAVAILABLE: ${NO_WORKER}, so task lonely (queued) has none to answer for its record: start one with \`codex-runner worker\`\n`,
  );

  const graph = await promptly(['graph', 'start', '--task-id', 'g', '--repo-path', repo, '--prompt', 'goal', '--child', 'g-a:do a', '--json']);
  expect(graph.code).toBe(0);
  const graphStatus = await promptly(['graph', 'status', 'g']);
  expect(graphStatus.code).toBe(1);
  expect(graphStatus.stderr).toContain(`WORKER_UNAVAILABLE: ${NO_WORKER}, so task g (queued)`);
});

it('events are read from the history, which needs no worker', async () => {
  const events = await promptly(['events', 'lonely', '--json']);
  expect(events.code).toBe(0);
  expect(JSON.parse(events.stdout)).toEqual({ taskId: 'lonely', events: [] });
});

it('approve refuses at once, sending nothing; interrupt and cancel say they were delivered and wait for a worker', async () => {
  const approve = await promptly(['approve', 'lonely']);
  expect(approve.code).toBe(1);
  expect(approve.stderr).toContain(`${NO_WORKER}, so task lonely (queued) has none to take the decision; nothing was sent`);

  const interrupt = await promptly(['interrupt', 'lonely', '--reason', 'not now']);
  expect(interrupt.code).toBe(0);
  expect(interrupt.stdout).toBe(
    'Interrupt delivered to lonely; it takes effect once a worker runs. No worker is polling task queue codex-runner: start one with `codex-runner worker`\n',
  );
  const cancel = await promptly(['cancel', 'doomed', '--json']);
  expect(cancel.code).toBe(0);
  expect(JSON.parse(cancel.stdout)).toMatchObject({ delivered: true, actedOn: false });
});

it('start --wait says that no worker polls before it waits; doctor notes it without failing for it', async () => {
  const started = Date.now();
  const wait = await harness.cli(['start', '--repo-path', repo, '--prompt', 'x', '--wait'], {}, (_stdout, stderr) => stderr.includes('No worker'));
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(wait.stderr).toBe('No worker is polling task queue codex-runner: this waits until one runs (start one with `codex-runner worker`).\n');

  const doctor = await promptly(['doctor', '--config-path', harness.configPath, '--json']);
  const worker = (JSON.parse(doctor.stdout) as { checks: { name: string }[] }).checks.find((check) => check.name === 'worker');
  expect(worker).toEqual({
    name: 'worker',
    ok: false,
    advisory: true,
    detail: 'no worker is polling task queue codex-runner: tasks started there wait for one, and a live task cannot be read',
    fix: 'Start one: `codex-runner worker`',
  });
});

it('once a worker runs, it acts on what was delivered, and the commands answer', async () => {
  await harness.startWorker();
  expect((await harness.client.waitForTask('doomed')).state).toBe('cancelled');
  const status = await harness.cli(['status', 'lonely', '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ task: { taskId: 'lonely', state: 'interrupted' } });
  const doctor = JSON.parse((await harness.cli(['doctor', '--config-path', harness.configPath, '--json'])).stdout) as {
    checks: { name: string; ok: boolean; detail: string }[];
  };
  expect(doctor.checks.find((check) => check.name === 'worker')).toMatchObject({
    ok: true,
    detail: expect.stringMatching(/^task queue codex-runner is polled by \d+@/),
  });
});
