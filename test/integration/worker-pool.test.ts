/**
 * A pool of worker hosts on one Temporal server: three worker processes, each a host of its own
 * (`--host-name`, its own PLATO_HOME and CODEX_HOME), run one graph of twelve children in four
 * chains on a repository they reach by URL (a bare repository as the remote; each host works in
 * its own mirror of it). Each task is placed on one host and stays there; every host runs some;
 * a host never runs more sessions than its slots; every dependent sees its prerequisites' work,
 * pushed from other hosts; the graph branch on the remote holds everything. Then one host is
 * lost mid-graph (kill -9 of its worker and everything it started, its state deleted): its task
 * moves to another host, on a new thread told what the earlier one did, from what was pushed,
 * and nothing that completed runs again.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { TaskEvent } from '../../src/contracts/events';
import { delay, exec, say } from '../../src/scripted-model/scripted-model-server';
import { descendantsOf } from '../support/process-tree';
import { eventually, RunnerHarness, type WorkerProcess } from '../support/runner-harness';
import { getFreePort } from '../support/temporal-dev-server';

const HOSTS = ['pool-host-a', 'pool-host-b', 'pool-host-c'];
const CHAINS = 4;
const LINKS = 3;
const id = (chain: number, link: number) => `pool-${chain}-${link}`;
/** A marker no task id or prompt of another child contains. */
const marker = (chain: number, link: number) => `pm${chain}x${link}q`;

let harness: RunnerHarness;
const hostHomes = new Map<string, { platoHome: string; codexHome: string }>();
const workers = new Map<string, WorkerProcess>();

/** The remote's `ref:file`. */
const showOnRemote = (remote: { dir: string }, spec: string) => simpleGit(remote.dir).show([spec]);

beforeAll(async () => {
  harness = await RunnerHarness.start();
  // The test's own client mirrors the remote too (it checks the URL before it starts a task).
  process.env.PLATO_HOME = path.join(harness.codexEnv.root, 'client-plato-home');
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

it('runs a graph across three hosts on a remote repository: each task on one host, every host some, no host over its slots, each dependent on its prerequisites’ pushed work', async () => {
  const remote = await harness.makeRemote();
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
  await harness.client.createTaskGraph({ parent: { taskId: 'pool-graph', repoUrl: remote.url, prompt: 'Four chains across the pool' }, children });
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

  // Each task worked in its host's mirror, and some dependent ran on another host than its prerequisite.
  for (const task of tasks) {
    expect(task.repoUrl).toBe(remote.url);
    expect(task.worktreePath!.startsWith(path.join(hostHomes.get(task.host!)!.platoHome, 'mirrors'))).toBe(true);
  }
  const hostOf = new Map(tasks.map((task) => [task.taskId, task.host]));
  expect(tasks.some((task) => task.dependencyTaskIds?.some((prerequisite) => hostOf.get(prerequisite) !== task.host))).toBe(true);
  for (let chain = 1; chain <= CHAINS; chain++) {
    const expected = Array.from({ length: LINKS }, (_, i) => `${id(chain, i + 1)}\n`).join('');
    // Each task's branch, and the graph branch, as pushed to the remote.
    expect(await showOnRemote(remote, `plato/task-${id(chain, LINKS)}:${id(chain, LINKS)}.txt`)).toBe(expected);
    expect(await showOnRemote(remote, `plato/graph-pool-graph:${id(chain, LINKS)}.txt`)).toBe(expected);
  }
  await harness.recordHistory('task-placed-from-a-remote-repository', id(1, 2));
}, 240_000);

it('moves the task of a host that is lost mid-graph to another host, on a new thread from its last pushed commit, and redoes nothing completed', async () => {
  const remote = await harness.makeRemote();
  // lost-2 asks for approval: its first turn's commit is pushed, and the second turn, asked for
  // by a change request, is the one its host is lost in.
  const children = ['lost-1', 'lost-2', 'lost-3'].map((taskId, i) => ({
    taskId,
    prompt: `Write ${taskId}.txt (lm${i}z)`,
    ...(i === 1 ? { requireApproval: true } : {}),
  }));
  const scripts = children.map((child, i) =>
    harness.model.script({
      when: `lm${i}z`,
      steps:
        i === 1
          ? [
              exec('echo lost-2 > lost-2.txt'),
              say('lost-2 written'),
              exec('echo unpushed > unpushed.txt'),
              delay(30_000, say('never answered: the host is lost first')),
              exec('cat lost-2.txt > seen.txt && ls > listing.txt'),
              say('lost-2 done'),
            ]
          : [exec(`echo ${child.taskId} > ${child.taskId}.txt`), delay(i === 0 ? 500 : 6_000, say(`${child.taskId} done`))],
    }),
  );
  const after = { taskId: 'lost-after', prompt: 'Sum up (lmaz)', dependencyTaskIds: children.map((child) => child.taskId) };
  harness.model.script({ when: 'lmaz', steps: [exec('cat lost-1.txt lost-2.txt lost-3.txt > all.txt'), say('summed up')] });
  await harness.client.createTaskGraph({
    parent: { taskId: 'lost-graph', repoUrl: remote.url, prompt: 'Survive a lost host' },
    children: [...children, after],
  });

  await eventually(async () => (await harness.client.getTask('lost-2')).state === 'awaiting_approval', 60_000, 'lost-2 to await approval');
  const pushed = await simpleGit(remote.dir).revparse(['plato/task-lost-2']);
  await harness.client.requestChanges('lost-2', { message: 'Also write unpushed.txt' });
  await scripts[1]!.waitForRequests(4, 60_000);
  // The host is lost once the second turn's command is in the task's events (they are sent about
  // once a second): what a relocated session is told comes from them.
  await eventually(
    async () => (await harness.client.listEvents('lost-2')).some((event) => JSON.stringify(event).includes('echo unpushed')),
    30_000,
    'the second turn’s command in the events',
  );
  const victim = await harness.client.getTask('lost-2');
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
  await eventually(async () => (await harness.client.getTask('lost-1')).state === 'completed', 60_000, 'lost-1 to complete');
  const requestsBefore = scripts.map((script) => script.requests.length);

  // Moved, the task asks for approval again for the work done on its new host.
  await eventually(
    async () => {
      const task = await harness.client.getTask('lost-2');
      return task.state === 'awaiting_approval' && task.host !== lostHost;
    },
    240_000,
    'lost-2 to move and await approval again',
  );
  await harness.client.approve('lost-2', { by: 'test' });
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
  expect(told?.userText).toContain('echo unpushed > unpushed.txt');
  // It worked in the new host's mirror, from the commit pushed before the host was lost: what
  // the lost host had not pushed is gone.
  expect(moved.worktreePath!.startsWith(hostHomes.get(moved.host!)!.platoHome)).toBe(true);
  expect(await simpleGit(remote.dir).raw(['merge-base', '--is-ancestor', pushed.trim(), 'plato/task-lost-2'])).toBe('');
  expect(await showOnRemote(remote, 'plato/task-lost-2:seen.txt')).toBe('lost-2\n');
  expect(await showOnRemote(remote, 'plato/task-lost-2:listing.txt')).not.toContain('unpushed.txt');
  // Nothing completed ran again.
  expect(scripts[0]!.requests.length).toBe(requestsBefore[0]);
  expect(await showOnRemote(remote, 'plato/graph-lost-graph:all.txt')).toBe('lost-1\nlost-2\nlost-3\n');
  await harness.recordHistory('task-relocated-from-a-pushed-commit', 'lost-2');
}, 420_000);

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

it('starts a task on a remote repository from the CLI, and refuses a URL git cannot read, or push to, before anything is created', async () => {
  const remote = await harness.makeRemote();
  harness.model.script({ when: 'cliurlq', steps: [exec('echo from-cli > cli.txt'), say('cli done')] });
  const started = await harness.cli(['start', '--repo-url', remote.url, '--task-id', 'url-cli', '--prompt', 'Write cli.txt (cliurlq)', '--wait', '--json']);
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ task: { taskId: 'url-cli', state: 'completed', repoPath: remote.url, repoUrl: remote.url } });
  expect(await showOnRemote(remote, 'plato/task-url-cli:cli.txt')).toBe('from-cli\n');
  // The work reads back through the client's own mirror.
  expect((await harness.client.getTaskDiff('url-cli')).files.map((file) => file.path)).toEqual(['cli.txt']);

  // Its worktree is cleaned on its host, where it is in the host's mirror; anywhere else, the
  // refusal says so.
  const task = await harness.client.getTask('url-cli');
  await expect(harness.client.cleanTask('url-cli')).rejects.toThrow(`worktree is on host ${task.host}`);
  expect(existsSync(task.worktreePath!)).toBe(true);
  const cleaned = await harness.cli(['clean', 'url-cli', '--json'], { PLATO_HOME: hostHomes.get(task.host!)!.platoHome });
  expect(cleaned.code).toBe(0);
  expect(existsSync(task.worktreePath!)).toBe(false);

  const missing = `${remote.url}-missing`;
  const refused = await harness.cli(['start', '--repo-url', missing, '--task-id', 'url-missing', '--prompt', 'Never runs']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(new RegExp(`^VALIDATION_FAILED: repoUrl: git cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
  // Served by `git daemon`, which lets anyone read and no one push: refused before anything starts.
  const port = await getFreePort();
  const daemon = spawn('git', ['daemon', '--export-all', `--base-path=${path.dirname(remote.dir)}`, '--listen=127.0.0.1', `--port=${port}`, '--reuseaddr'], {
    stdio: 'ignore',
  });
  try {
    const readOnly = `git://127.0.0.1:${port}/${path.basename(remote.dir)}`;
    await eventually(
      async () =>
        (await simpleGit()
          .listRemote([readOnly])
          .catch(() => '')) !== '',
      10_000,
      'git daemon to serve',
    );
    const unpushable = await harness.cli(['start', '--repo-url', readOnly, '--task-id', 'url-read-only', '--prompt', 'Never runs']);
    expect(unpushable.code).toBe(2);
    expect(unpushable.stderr).toMatch(
      /^VALIDATION_FAILED: repoUrl: git cannot push to git:\/\/127\.0\.0\.1:\d+\/\S+ \(.+\); the task's branches are pushed there/m,
    );
    await expect(harness.client.getTask('url-read-only')).rejects.toThrow(/url-read-only/);
  } finally {
    daemon.kill();
  }
  const both = await harness.cli(['start', '--repo-url', remote.url, '--repo-path', remote.dir, '--prompt', 'Never runs']);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('--repo-path, --repo-url: name the repository once');
  await expect(harness.client.getTask('url-missing')).rejects.toThrow(/url-missing/);
  await expect(harness.client.startTask({ repoUrl: 'not a url', prompt: 'Never runs' })).rejects.toThrow(/repoUrl must be a git URL/);
}, 120_000);
