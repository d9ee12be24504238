/**
 * A pool of worker hosts on one Temporal server: three worker processes, each a host of its own
 * (`--host-name`, its own PLATO_HOME and CODEX_HOME), run one graph of twelve children in four
 * chains. Each task is placed on one host and stays there; every host runs some; a host never
 * runs more sessions than its slots; every dependent sees its prerequisites' work.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { TaskEvent } from '../../src/contracts/events';
import { delay, exec, say } from '../../src/scripted-model/scripted-model-server';
import { RunnerHarness } from '../support/runner-harness';

const HOSTS = ['pool-host-a', 'pool-host-b', 'pool-host-c'];
const CHAINS = 4;
const LINKS = 3;
const id = (chain: number, link: number) => `pool-${chain}-${link}`;
/** A marker no task id or prompt of another child contains. */
const marker = (chain: number, link: number) => `pm${chain}x${link}q`;

let harness: RunnerHarness;
const hostHomes = new Map<string, { platoHome: string; codexHome: string }>();

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
    HOSTS.map((host) =>
      harness.startWorker(['--host-name', host, '--max-concurrent-tasks', '1'], {
        env: { PLATO_HOME: hostHomes.get(host)!.platoHome, CODEX_HOME: hostHomes.get(host)!.codexHome },
      }),
    ),
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
