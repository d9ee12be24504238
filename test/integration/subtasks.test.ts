import { simpleGit } from 'simple-git';
import { exec, httpError, say } from '../../src/scripted-model/scripted-model-server';
import { eventually, useRunnerHarness } from '../support/runner-harness';

// Subtasks added while a graph runs: an agent that plans as it learns adds children to a running
// graph; an open graph ends only once it is closed and every child has ended.
const harness = useRunnerHarness();

const stateOf = async (taskId: string) => (await harness().client.getTask(taskId)).state;

it('adds a subtask to an open graph that builds on a completed child, and ends only once closed', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'sub-first-step', steps: [exec('echo first > first.txt'), say('first done')] });
  harness().model.script({ when: 'sub-later-step', steps: [exec('cat first.txt > later.txt && echo later >> later.txt'), say('later done')] });
  const started = await harness().cli([
    'graph',
    'start',
    '--task-id',
    'sub',
    '--repo-path',
    repo,
    '--prompt',
    'Grow',
    '--open',
    '--child',
    'sub-first:First (sub-first-step)',
  ]);
  expect(started.code).toBe(0);
  await eventually(async () => (await stateOf('sub-first')) === 'completed', 60_000, 'the first child');

  const child = JSON.stringify({ taskId: 'sub-later', prompt: 'Later (sub-later-step)', dependencyTaskIds: ['sub-first'] });
  const added = await harness().cli(['graph', 'add', 'sub', '--child', child]);
  expect(added.stdout).toBe('Added sub-later to graph sub\n');
  await eventually(async () => (await stateOf('sub-later')) === 'completed', 60_000, 'the subtask');
  expect(await simpleGit(repo).show(['plato/task-sub-later:later.txt'])).toBe('first\nlater\n');
  expect((await harness().client.listSubtasks('sub')).map((task) => task.taskId)).toEqual(['sub-first', 'sub-later']);

  // Every child has ended, but the graph is open: it waits.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await stateOf('sub')).not.toBe('completed');
  expect((await harness().cli(['graph', 'close', 'sub'])).code).toBe(0);
  expect((await harness().client.waitForTask('sub')).state).toBe('completed');
  const files = await simpleGit(repo).raw(['ls-tree', '--name-only', 'plato/graph-sub']);
  expect(files.trim().split('\n').sort()).toEqual(['README.md', 'first.txt', 'later.txt']);
  const events = (await harness().client.listEvents('sub')).map((event) => event.type);
  expect(events).toEqual(expect.arrayContaining(['task.graph.subtasks.added', 'task.graph.closed', 'task.graph.completed']));
  await harness().recordHistory('graph-subtask-added', 'sub');
});

it('refuses a taken id, an unknown prerequisite, a cycle and an ended graph, each in one line, adding nothing', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'ref-step', steps: [exec('echo a > a.txt'), say('done')] });
  await harness().client.createTaskGraph({
    parent: { taskId: 'ref', repoPath: repo, prompt: 'Refusals' },
    children: [{ taskId: 'ref-a', prompt: 'A (ref-step)' }],
    open: true,
  });
  await eventually(async () => (await stateOf('ref-a')) === 'completed', 60_000, 'ref-a');
  const add = async (...children: object[]) => harness().cli(['graph', 'add', 'ref', ...children.flatMap((child) => ['--child', JSON.stringify(child)])]);

  expect((await add({ taskId: 'ref-a', prompt: 'Again' })).stderr).toBe('TASK_ALREADY_EXISTS: Task ref-a already exists\n');
  expect((await add({ taskId: 'ref-b', prompt: 'B', dependencyTaskIds: ['ref-nope'] })).stderr).toBe(
    'VALIDATION_FAILED: Task graph child ref-b depends on missing child task ref-nope\n',
  );
  const cycle = await add(
    { taskId: 'ref-c', prompt: 'C', dependencyTaskIds: ['ref-a', 'ref-d'] },
    { taskId: 'ref-d', prompt: 'D', dependencyTaskIds: ['ref-c'] },
  );
  expect(cycle.stderr).toBe('VALIDATION_FAILED: Task graph child dependencies contain a cycle: ref-c -> ref-d -> ref-c\n');
  expect((await harness().client.listSubtasks('ref')).map((task) => task.taskId)).toEqual(['ref-a']);
  await expect(harness().client.getTask('ref-b')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });

  await harness().client.closeGraph('ref');
  await harness().client.waitForTask('ref');
  const ended = await add({ taskId: 'ref-e', prompt: 'E' });
  expect(ended.code).toBe(1);
  expect(ended.stderr).toBe('TASK_WRONG_STATE: Task ref has ended (completed)\n');
});

it('blocks at once a subtask whose prerequisite has failed', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'blk-step', steps: [httpError(400, 'scripted model failure')] });
  harness().model.script({ when: 'blk-other-step', steps: [exec('sleep 3'), say('other done')] });
  await harness().client.createTaskGraph({
    parent: { taskId: 'blk', repoPath: repo, prompt: 'Block' },
    children: [
      { taskId: 'blk-bad', prompt: 'Bad (blk-step)' },
      { taskId: 'blk-other', prompt: 'Other (blk-other-step)' },
    ],
  });
  await eventually(async () => (await stateOf('blk-bad')) === 'failed', 60_000, 'blk-bad');
  await harness().client.addSubtasks('blk', [{ taskId: 'blk-after', prompt: 'After', dependencyTaskIds: ['blk-bad'] }]);
  const after = await harness().client.waitForTask('blk-after');
  expect(after).toMatchObject({ state: 'failed', failure: { code: 'TASK_GRAPH_DEPENDENCY_FAILED' } });
  expect((await harness().client.waitForTask('blk')).state).toBe('failed');
});
