/**
 * A pool of worker hosts on one Temporal server: three worker processes, each a host of its own
 * (`--host-name`, its own PLATO_HOME and CODEX_HOME), run one graph of twelve children in four
 * chains. Each task is placed on one host and stays there; every host runs some; a host never
 * runs more sessions than its slots; every dependent sees its prerequisites' work. Then one host
 * is lost mid-graph (kill -9 of its worker and everything it started, its state deleted): its
 * task moves to another host, on a new thread told what the earlier one did, and nothing that
 * completed runs again.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { TaskEvent } from '../../src/contracts/events';
import { delay, exec, say } from '../../src/scripted-model/scripted-model-server';
import { descendantsOf } from '../support/process-tree';
import { eventually, RunnerHarness, type WorkerProcess } from '../support/runner-harness';

const HOSTS = ['pool-host-a', 'pool-host-b', 'pool-host-c'];
const CHAINS = 4;
const LINKS = 3;
const id = (chain: number, link: number) => `pool-${chain}-${link}`;
/** A marker no task id or prompt of another child contains. */
const marker = (chain: number, link: number) => `pm${chain}x${link}q`;

let harness: RunnerHarness;
const hostHomes = new Map<string, { platoHome: string; codexHome: string }>();
const workers = new Map<string, WorkerProcess>();

beforeAll(async () => {
  harness = await RunnerHarness.start();
  for (const host of HOSTS) {
    const platoHome = path.join(harness.codexEnv.root, host, 'plato-home');
    const codexHome = path.join(harness.codexEnv.root, host, 'codex-home');
    await Promise.all([mkdir(platoHome, { recursive: true }), mkdir(codexHome, { recursive: true })]);
    hostHomes.set(host, { platoHome, codexHome });
  }
  // One session slot each: the first four ready children cannot all go to one host.
  await Promise.all(
    HOSTS.map(async (host) => {
      const worker = await harness.startWorker(['--host-name', host, '--max-concurrent-tasks', '1'], {
        env: { PLATO_HOME: hostHomes.get(host)!.platoHome, CODEX_HOME: hostHomes.get(host)!.codexHome },
      });
      workers.set(host, worker);
    }),
  );
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

function sessionSpans(events: TaskEvent[]): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start: number | undefined;
  for (const event of events) {
    if (event.type === 'session.started') start = Date.parse(event.at);
    if (event.type === 'session.exited' && start !== undefined) {
      spans.push({ start, end: Date.parse(event.at) });
      start = undefined;
    }
  }
  return spans;
}

/** The most spans that overlap at any moment. */
function mostAtOnce(spans: { start: number; end: number }[]): number {
  const edges = spans.flatMap(({ start, end }) => [
    { at: start, step: 1 },
    { at: end, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.step;
    most = Math.max(most, now);
  }
  return most;
}

it('runs a graph across three hosts: each task on one host, every host some, no host over its slots, each dependent on its prerequisites’ work', async () => {
  const repo = await harness.makeRepo();
  const children = [];
  for (let chain = 1; chain <= CHAINS; chain++) {
    for (let link = 1; link <= LINKS; link++) {
      const file = `${id(chain, link)}.txt`;
      const build = link === 1 ? `echo ${id(chain, link)} > ${file}` : `cat ${id(chain, link - 1)}.txt > ${file} && echo ${id(chain, link)} >> ${file}`;
      harness.model.script({ when: marker(chain, link), steps: [delay(1_000, exec(build)), say(`${id(chain, link)} done`)] });
      children.push({
        taskId: id(chain, link),
        prompt: `Write ${file} (${marker(chain, link)})`,
        ...(link > 1 ? { dependencyTaskIds: [id(chain, link - 1)] } : {}),
      });
    }
  }
  await harness.client.createTaskGraph({ parent: { taskId: 'pool-graph', repoPath: repo, prompt: 'Four chains across the pool' }, children });
  const parent = await harness.client.waitForTask('pool-graph');
  expect(parent.state).toBe('completed');

  const tasks = await Promise.all(children.map((child) => harness.client.getTask(child.taskId)));
  const byHost = new Map<string, string[]>();
  for (const task of tasks) {
    expect(task.state).toBe('completed');
    expect(HOSTS).toContain(task.host);
    byHost.set(task.host!, [...(byHost.get(task.host!) ?? []), task.taskId]);
  }
  expect([...byHost.keys()].sort()).toEqual(HOSTS);
  // Each host's workers poll under its name, as `doctor` and the Web UI list them.
  const polling = (await harness.client.findWorkers()).polling;
  expect(HOSTS.map((host) => polling.some((identity) => identity.endsWith(`@${host}`)))).toEqual([true, true, true]);

  for (const [host, taskIds] of byHost) {
    const events = await Promise.all(taskIds.map((taskId) => harness.client.listEvents(taskId)));
    // Placed once, and every session of the task ran on its host: at most one at a time there.
    for (const taskEvents of events) expect(taskEvents.filter((event) => event.type === 'task.placed').map((event) => event.host)).toEqual([host]);
    expect(mostAtOnce(events.flatMap(sessionSpans))).toBe(1);
    // The host's sessions kept their threads in its own CODEX_HOME.
    expect((await readdir(path.join(hostHomes.get(host)!.codexHome, 'sessions'))).length).toBeGreaterThan(0);
    expect((await harness.client.listTasks({ host })).map((task) => task.taskId).sort()).toEqual([...taskIds].sort());
  }

  const git = simpleGit(repo);
  for (let chain = 1; chain <= CHAINS; chain++) {
    const expected = Array.from({ length: LINKS }, (_, i) => `${id(chain, i + 1)}\n`).join('');
    expect(await git.show([`plato/graph-pool-graph:${id(chain, LINKS)}.txt`])).toBe(expected);
  }
  await harness.recordHistory('task-placed-on-a-host', id(1, 2));
}, 240_000);

it('moves the task of a host that is lost mid-graph to another host, on a new thread told what the earlier one did, and redoes nothing completed', async () => {
  const repo = await harness.makeRepo();
  const children = ['lost-1', 'lost-2', 'lost-3'].map((taskId, i) => ({ taskId, prompt: `Write ${taskId}.txt (lm${i}z)` }));
  const scripts = children.map((child, i) =>
    harness.model.script({
      when: `lm${i}z`,
      steps: [exec(`echo ${child.taskId} > ${child.taskId}.txt`), delay(i === 0 ? 500 : 6_000, say(`${child.taskId} done`))],
    }),
  );
  const after = { taskId: 'lost-after', prompt: 'Sum up (lmaz)', dependencyTaskIds: children.map((child) => child.taskId) };
  harness.model.script({ when: 'lmaz', steps: [exec('cat lost-1.txt lost-2.txt lost-3.txt > all.txt'), say('summed up')] });
  await harness.client.createTaskGraph({ parent: { taskId: 'lost-graph', repoPath: repo, prompt: 'Survive a lost host' }, children: [...children, after] });

  // Each of the three hosts takes one child (one slot each); lose the host of one still in its turn.
  const placed = await eventually(
    async () => {
      const tasks = await Promise.all(children.map((child) => harness.client.getTask(child.taskId)));
      return tasks.every((task) => task.host !== undefined && task.threadId !== undefined) && tasks;
    },
    60_000,
    'every child placed and in its turn',
  );
  await eventually(async () => (await harness.client.getTask('lost-1')).state === 'completed', 60_000, 'lost-1 to complete');
  const victim = placed.find((task) => task.taskId === 'lost-2')!;
  const lostHost = victim.host!;
  const worker = workers.get(lostHost)!;
  const pid = worker.child.pid!;
  for (const doomed of [...descendantsOf(pid), pid]) {
    try {
      process.kill(doomed, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await worker.stop('SIGKILL');
  await rm(path.join(harness.codexEnv.root, lostHost), { recursive: true, force: true });
  const requestsBefore = scripts.map((script) => script.requests.length);

  const parent = await harness.client.waitForTask('lost-graph');
  expect(parent.state).toBe('completed');
  const moved = await harness.client.getTask('lost-2');
  expect(moved).toMatchObject({ state: 'completed' });
  expect(moved.host).not.toBe(lostHost);
  expect(moved.threadId).not.toBe(victim.threadId);
  const events = await harness.client.listEvents('lost-2');
  expect(events.filter((event) => event.type === 'task.placed').map((event) => event.host)).toEqual([lostHost, moved.host]);
  expect(events.find((event) => event.type === 'session.relocated')?.message).toContain(`Host ${lostHost} stopped answering`);
  // The new thread was told what the earlier session did.
  const told = scripts[1]!.requests.slice(requestsBefore[1]).find((request) => request.userText.includes('stopped answering'));
  expect(told?.userText).toContain('echo lost-2 > lost-2.txt');
  // Nothing completed ran again.
  expect(scripts[0]!.requests.length).toBe(requestsBefore[0]);
  expect(await simpleGit(repo).show(['plato/graph-lost-graph:all.txt'])).toBe('lost-1\nlost-2\nlost-3\n');
  await harness.recordHistory('task-relocated-from-a-lost-host', 'lost-2');
}, 360_000);

it('interrupts a task that waits for a free slot in the pool at once, and places it once resumed', async () => {
  const repo = await harness.makeRepo();
  // Every live host's one slot busy for a while (a host may have been lost above): the next task waits to be placed.
  const live = HOSTS.filter((host) => workers.get(host)!.child.exitCode === null && workers.get(host)!.child.signalCode === null);
  const busy = live.map((_, i) => `busy-${i + 1}`);
  busy.forEach((taskId, i) => harness.model.script({ when: `bz${i}q`, steps: [delay(8_000, exec(`echo ${taskId} > ${taskId}.txt`)), say('busy done')] }));
  await Promise.all(busy.map((taskId, i) => harness.client.startTask({ taskId, repoPath: repo, prompt: `Busy (bz${i}q)` })));
  await eventually(
    async () => (await Promise.all(busy.map((taskId) => harness.client.getTask(taskId)))).every((task) => task.host !== undefined),
    60_000,
    'every host busy',
  );
  const waiting = harness.model.script({ when: 'wtq', steps: [exec('echo waited > waited.txt'), say('placed at last')] });
  await harness.client.startTask({ taskId: 'waiting', repoPath: repo, prompt: 'Wait for a slot (wtq)' });
  await eventually(async () => (await harness.client.listEvents('waiting')).some((event) => event.type === 'task.queued'), 30_000, 'waiting to be queued');

  await harness.client.interrupt('waiting', { reason: 'not now' });
  const parked = await eventually(
    async () => {
      const task = await harness.client.getTask('waiting');
      return task.state === 'interrupted' && task;
    },
    5_000,
    'the waiting task to park at once',
  );
  expect(parked.host).toBeUndefined();

  await harness.client.resume('waiting', { message: 'Also say hello (resumed-while-unplaced).' });
  const done = await harness.client.waitForTask('waiting');
  expect(done).toMatchObject({ state: 'completed', finalMessage: 'placed at last' });
  expect(HOSTS).toContain(done.host);
  expect(waiting.requests[0]!.userText).toContain('Also say hello (resumed-while-unplaced).');
  await Promise.all(busy.map((taskId) => harness.client.waitForTask(taskId)));
}, 120_000);
