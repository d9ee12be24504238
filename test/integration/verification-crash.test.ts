import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findChecksIn } from '../../src/activities/run-checks';
import { exec, say } from '../../src/scripted-model/scripted-model-server';
import { eventually, RunnerHarness } from '../support/runner-harness';

// A worker killed with -9 while a task's check runs: the check's processes outlive it; the next
// worker's retry of the check (after the 20 s heartbeat timeout) kills them first, runs the check
// again, and the task completes without its turn being run again.
let harness: RunnerHarness;

beforeAll(async () => {
  harness = await RunnerHarness.start();
});

afterAll(async () => {
  await harness?.stop();
});

it('survives a kill -9 during verification, leaving no check process behind', async () => {
  const repo = await harness.makeRepo({ 'README.md': '# app\n', '.codex-runner.yaml': "verify: ['test -f go.txt || sleep 300']\n" });
  const script = harness.model.script({ when: 'crash-check-marker', steps: [exec('echo work > work.txt'), say('done')] });
  const first = await harness.startWorker();
  await harness.client.startTask({ taskId: 'crash-check', repoPath: repo, prompt: 'Work (crash-check-marker)' });
  const worktree = path.join(repo, '.plato', 'worktrees', 'crash-check');
  await eventually(async () => (await findChecksIn(worktree)).length > 0, 60_000, 'the check to run');

  await first.stop('SIGKILL');
  const leftovers = await findChecksIn(worktree);
  expect(leftovers.length).toBeGreaterThan(0);
  await writeFile(path.join(worktree, 'go.txt'), 'go\n');
  await harness.startWorker();

  const task = await harness.client.waitForTask('crash-check');
  expect(task).toMatchObject({ state: 'completed', filesChanged: ['go.txt', 'work.txt'], verification: { status: 'passed', runs: 1 } });
  expect(await findChecksIn(worktree)).toEqual([]);
  expect(script.requests).toHaveLength(2);
  const types = (await harness.client.listEvents('crash-check')).map((event) => event.type);
  expect(types.filter((type) => type.startsWith('verification.'))).toEqual(['verification.started', 'verification.completed']);
});
