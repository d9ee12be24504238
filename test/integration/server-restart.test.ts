/**
 * The dev server can restart (issue 4, item 8): stopping the Temporal dev server and starting it
 * again on the same database while a graph runs costs a pause, not the graph. The worker and the
 * client stay up and reconnect by themselves.
 */
import { simpleGit } from 'simple-git';
import { eventually, RunnerHarness, type WorkerProcess } from '../support/runner-harness';
import { exec, say } from '../../src/scripted-model/scripted-model-server';

const OUTAGE_MS = 10_000;

let harness: RunnerHarness;
let worker: WorkerProcess;

beforeAll(async () => {
  harness = await RunnerHarness.start();
  worker = await harness.startWorker();
});

afterAll(async () => {
  await harness?.stop();
});

describe('a dev server restart in the middle of a graph', () => {
  const parentId = 'restart-graph';
  const children = ['rs-a', 'rs-b', 'rs-c', 'rs-d', 'rs-e'];
  let repo: string;
  let outageSeconds: number;

  beforeAll(async () => {
    repo = await harness.makeRepo();
    harness.model.script({ when: 'rs-a-marker', steps: [exec('echo a > a.txt'), say('a done')] });
    // rs-b's command runs while the server is down, and its turn ends during the outage.
    const during = harness.model.script({ when: 'rs-b-marker', steps: [exec('sleep 2 && cat a.txt > b.txt && echo b >> b.txt'), say('b done')] });
    harness.model.script({ when: 'rs-c-marker', steps: [exec('cat b.txt > c.txt && echo c >> c.txt'), say('c done')] });
    harness.model.script({ when: 'rs-d-marker', steps: [exec('sleep 3 && echo d > d.txt'), say('d done')] });
    harness.model.script({ when: 'rs-e-marker', steps: [exec('echo e > e.txt'), say('e done')] });
    await harness.client.createTaskGraph({
      parent: { taskId: parentId, repoPath: repo, prompt: 'Survive a server restart' },
      children: [
        { taskId: 'rs-a', prompt: 'Write a.txt (rs-a-marker)' },
        { taskId: 'rs-b', prompt: 'Extend into b.txt (rs-b-marker)', dependencyTaskIds: ['rs-a'] },
        { taskId: 'rs-c', prompt: 'Extend into c.txt (rs-c-marker)', dependencyTaskIds: ['rs-b'] },
        { taskId: 'rs-d', prompt: 'Write d.txt (rs-d-marker)' },
        { taskId: 'rs-e', prompt: 'Write e.txt (rs-e-marker)', dependencyTaskIds: ['rs-d'] },
      ],
    });
    await during.waitForRequests(1, 60_000);
    const stopping = Date.now();
    await harness.server.stop();
    // Down long enough for rs-b's turn to end and rs-d's command to finish while nobody answers.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await harness.server.restart();
    outageSeconds = (Date.now() - stopping) / 1000;
  }, 120_000);

  it('completes the graph after the restart, every child completed', async () => {
    const restartedAt = Date.now();
    const parent = await eventually(
      async () => {
        const record = await harness.client.getTask(parentId);
        return record.state === 'completed' || record.state === 'failed' ? record : undefined;
      },
      90_000,
      'the graph to end',
    );
    process.stderr.write(
      `server restart: outage ${outageSeconds.toFixed(1)} s, graph done ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the server was back\n`,
    );
    expect(parent.failure).toBeUndefined();
    expect(parent.state).toBe('completed');
    for (const id of children) expect((await harness.client.getTask(id)).state).toBe('completed');
  });

  it('has every child commit on its branch and merged into plato/graph-<id>', async () => {
    const git = simpleGit(repo);
    for (const id of children) {
      const task = await harness.client.getTask(id);
      expect(task.commitSha).toBe((await git.revparse([`plato/task-${id}`])).trim());
      await git.raw(['merge-base', '--is-ancestor', task.commitSha!, `plato/graph-${parentId}`]);
    }
    expect(await git.show([`plato/graph-${parentId}:c.txt`])).toBe('a\nb\nc\n');
    expect(await git.show([`plato/graph-${parentId}:e.txt`])).toBe('e\n');
  });

  it('keeps the events of the turn that ended while the server was down (they wait and are sent)', async () => {
    const events = await harness.client.listEvents('rs-b');
    const firstAttempt = events.filter((event) => event.attempt === 1).map((event) => event.item?.kind ?? event.type);
    expect(firstAttempt).toEqual(['session.started', 'command', 'agent_message', 'session.usage', 'session.exited']);
  });

  it('kept the worker running through the outage', () => {
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.signalCode).toBeNull();
  });
});
