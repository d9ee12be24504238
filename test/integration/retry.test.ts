import { simpleGit } from 'simple-git';
import { exec, httpError, say } from '../../src/scripted-model/scripted-model-server';
import { useRunnerHarness } from '../support/runner-harness';

// `retry`: a failed or cancelled task runs again as a new run of its workflow, in the same
// worktree, on the same branch and Codex thread, with the operator's message as the instruction.
const harness = useRunnerHarness();

it('retries a task the model failed, with a message, on the same thread and in the same worktree', async () => {
  const repo = await harness().makeRepo();
  const script = harness().model.script({
    when: 'retry-marker',
    steps: [exec('echo first > first.txt'), httpError(400, 'scripted model failure'), exec('echo second > second.txt'), say('done on retry')],
  });
  await harness().client.startTask({ taskId: 'retry-me', repoPath: repo, prompt: 'Write two files (retry-marker)' });
  const failed = await harness().client.waitForTask('retry-me');
  expect(failed).toMatchObject({ state: 'failed', failure: { code: 'CODEX_TURN_FAILED' } });

  const retried = await harness().cli(['retry', 'retry-me', '--message', 'The model failed; write second.txt now', '--wait', '--json']);
  expect(retried.code).toBe(0);
  const task = (JSON.parse(retried.stdout) as { task: { state: string; threadId: string; worktreePath: string; filesChanged: string[]; retryOfRunId: string } })
    .task;
  expect(task).toMatchObject({ state: 'completed', threadId: failed.threadId, worktreePath: failed.worktreePath, filesChanged: ['first.txt', 'second.txt'] });
  expect(task.retryOfRunId).toEqual(expect.any(String));

  // The retry continued the thread: its request holds the earlier conversation, then the message.
  const retryRequest = script.requests[2]!;
  expect(retryRequest.userText).toContain('Write two files (retry-marker)');
  expect(retryRequest.userMessages.at(-1)).toBe('The model failed; write second.txt now');
  expect(await simpleGit(repo).show(['plato/task-retry-me:second.txt'])).toBe('second\n');
  const [queued] = await harness().client.listEvents('retry-me');
  expect(queued).toMatchObject({ type: 'task.queued', message: `Retry of run ${task.retryOfRunId}, on thread ${failed.threadId}` });
  await harness().recordHistory('task-retried', 'retry-me');
});

it('refuses to retry a task that completed, in one line', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'no-retry-marker', steps: [say('done')] });
  await harness().client.startTask({ taskId: 'done-already', repoPath: repo, prompt: 'Nothing (no-retry-marker)' });
  await harness().client.waitForTask('done-already');
  const refused = await harness().cli(['retry', 'done-already']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe('TASK_WRONG_STATE: Task done-already is completed: only a failed or cancelled task is retried\n');
});

it('retries a graph with a failed middle child: completed children carry over, the failed and blocked ones run again', async () => {
  const repo = await harness().makeRepo();
  const first = harness().model.script({ when: 'alpha-step', steps: [exec('echo first > first.txt'), say('first done')] });
  const middle = harness().model.script({
    when: 'beta-step',
    steps: [httpError(400, 'scripted model failure'), exec('echo middle > middle.txt'), say('middle done')],
  });
  harness().model.script({ when: 'gamma-step', steps: [exec('echo last > last.txt'), say('last done')] });
  const sibling = harness().model.script({ when: 'delta-step', steps: [exec('echo sibling > sibling.txt'), say('sibling done')] });
  await harness().client.createTaskGraph({
    parent: { taskId: 'gr', repoPath: repo, prompt: 'A chain and a sibling' },
    children: [
      { taskId: 'gr-first', prompt: 'First (alpha-step)' },
      { taskId: 'gr-middle', prompt: 'Middle (beta-step)', dependencyTaskIds: ['gr-first'] },
      { taskId: 'gr-last', prompt: 'Last (gamma-step)', dependencyTaskIds: ['gr-middle'] },
      { taskId: 'gr-sibling', prompt: 'Sibling (delta-step)' },
    ],
  });
  expect((await harness().client.waitForTask('gr')).state).toBe('failed');
  expect((await harness().client.getTask('gr-last')).failure?.code).toBe('TASK_GRAPH_DEPENDENCY_FAILED');
  const middleThread = (await harness().client.getTask('gr-middle')).threadId;
  const [firstAsked, siblingAsked] = [first.requests.length, sibling.requests.length];

  const retried = await harness().cli(['graph', 'retry', 'gr', '--wait']);
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(/^Retrying graph gr after run \S+: running again gr-middle, gr-last; carried over: gr-first, gr-sibling\n/);
  const graph = await harness().client.getTaskGraph('gr');
  expect(graph.state).toBe('completed');
  expect([first.requests.length, sibling.requests.length]).toEqual([firstAsked, siblingAsked]);
  expect((await harness().client.getTask('gr-middle')).threadId).toBe(middleThread);
  expect(middle.requests.at(-2)?.userText).toContain('Middle (beta-step)');
  // The failed child retries its run; the blocked one, which never ran, starts afresh.
  const [middleQueued] = await harness().client.listEvents('gr-middle');
  expect(middleQueued?.message).toMatch(/^Retry of run \S+, on thread /);
  const [lastQueued] = await harness().client.listEvents('gr-last');
  expect(lastQueued?.message).toBe('Child of gr');
  const files = await simpleGit(repo).raw(['ls-tree', '--name-only', 'plato/graph-gr']);
  expect(files.trim().split('\n').sort()).toEqual(['README.md', 'first.txt', 'last.txt', 'middle.txt', 'sibling.txt']);
  const results = await harness().client.getTaskGraphResults('gr');
  expect(results.results.map((result) => [result.taskId, result.classification]).sort()).toEqual([
    ['gr-first', 'completed'],
    ['gr-last', 'completed'],
    ['gr-middle', 'completed'],
    ['gr-sibling', 'completed'],
  ]);
  await harness().recordHistory('graph-retried', 'gr');
});
