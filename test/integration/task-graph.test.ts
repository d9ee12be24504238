import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import { simpleGit } from 'simple-git';
import { ValidationError } from '../../src/client/errors';
import type { TaskEvent } from '../../src/contracts/events';
import type { TaskGraphSnapshot } from '../../src/contracts/graph';
import { taskWorkflowId } from '../../src/contracts/ids';
import { replayAll } from '../support/replay';
import { historyOf, patchIds, signalNames, terminalGraphEvents } from '../support/task-events';
import { eventually, useRunnerHarness, type RunnerHarness } from '../support/runner-harness';
import { exec, hang, httpError, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();

const eventsOf = (taskId: string) => harness().client.listEvents(taskId);
const historyOfTask = (taskId: string) => historyOf(harness().client, taskId);

/** The children a graph's parent asked to start (task ids), grouped by the workflow task that asked. */
async function childStartsByWorkflowTask(parentId: string): Promise<string[][]> {
  const waves = new Map<string, string[]>();
  for (const event of (await historyOfTask(parentId)).events ?? []) {
    const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (!initiated) continue;
    const wave = String(initiated.workflowTaskCompletedEventId);
    waves.set(wave, [...(waves.get(wave) ?? []), initiated.workflowId!.replace(/^codex-task-/, '')]);
  }
  return [...waves.values()];
}

/** What the Web UI shows as a graph parent's current details. */
const parentDetails = async (parentId: string) =>
  (await harness().client.temporal.workflow.getHandle(taskWorkflowId(parentId)).query<{ currentDetails?: string }>('__temporal_workflow_metadata'))
    .currentDetails;

const firstAt = (events: TaskEvent[], type: string) => Date.parse(events.find((event) => event.type === type)?.at ?? 'NaN');

describe('a chain a -> b -> c', () => {
  const parentId = 'chain';
  let repo: string;

  beforeAll(async () => {
    repo = await harness().makeRepo();
    harness().model.script({ when: 'step-a-marker', steps: [exec('echo "from a" > a.txt'), say('a done')] });
    harness().model.script({ when: 'step-b-marker', steps: [exec('cat a.txt > b.txt && echo "from b" >> b.txt'), say('b done')] });
    harness().model.script({ when: 'step-c-marker', steps: [exec('cat b.txt > c.txt && echo "from c" >> c.txt'), say('c done')] });
    await harness().client.createTaskGraph({
      parent: { taskId: parentId, repoPath: repo, prompt: 'Build the chain of files' },
      children: [
        { taskId: 'chain-c', prompt: 'Copy b.txt into c.txt (step-c-marker)', dependencyTaskIds: ['chain-b'] },
        { taskId: 'chain-a', prompt: 'Write a.txt (step-a-marker)' },
        { taskId: 'chain-b', prompt: 'Copy a.txt into b.txt (step-b-marker)', dependencyTaskIds: ['chain-a'] },
      ],
    });
  });

  it('completes every child in dependency order, each building on its prerequisite', async () => {
    const parent = await harness().client.waitForTask(parentId);
    expect(parent.state).toBe('completed');
    const [a, b, c] = await Promise.all(['chain-a', 'chain-b', 'chain-c'].map((id) => eventsOf(id)));
    expect(firstAt(b!, 'task.graph.worker.started')).toBeGreaterThanOrEqual(firstAt(a!, 'task.completed'));
    expect(firstAt(c!, 'task.graph.worker.started')).toBeGreaterThanOrEqual(firstAt(b!, 'task.completed'));
    expect(b!.find((event) => event.type === 'task.graph.dependency.satisfied')).toMatchObject({ dependencyTaskId: 'chain-a' });

    const git = simpleGit(repo);
    expect(await git.show(['plato/task-chain-b:b.txt'])).toBe('from a\nfrom b\n');
    expect(await git.show(['plato/task-chain-c:c.txt'])).toBe('from a\nfrom b\nfrom c\n');
  });

  it('merges all the work into plato/graph-<parentId> and records one terminal graph event', async () => {
    const git = simpleGit(repo);
    expect(await git.show([`plato/graph-${parentId}:c.txt`])).toBe('from a\nfrom b\nfrom c\n');
    expect(await git.show([`plato/graph-${parentId}:a.txt`])).toBe('from a\n');
    const parentEvents = await eventsOf(parentId);
    expect(terminalGraphEvents(parentEvents)).toHaveLength(1);
    expect(parentEvents.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'task.graph.created',
        'task.graph.result.collected',
        'task.graph.child.completed',
        'task.graph.merged',
        'task.graph.synthesized',
      ]),
    );
    // A released child does not echo "running" back: nothing held or freed a slot here.
    expect(signalNames(await historyOfTask(parentId))).not.toContain('childState');
    // A child ready when the graph started comes released in its input; a dependent gets a signal.
    expect(signalNames(await historyOfTask('chain-a'))).not.toContain('graphRelease');
    expect(signalNames(await historyOfTask('chain-b'))).toContain('graphRelease');
    await harness().recordHistory('graph-completed', parentId);
    await harness().recordHistory('graph-child-released', 'chain-b');
    await harness().recordHistory('graph-child-released-at-start', 'chain-a');
    const results = await harness().client.getTaskGraphResults('chain-b');
    expect(results.synthesis).toMatchObject({ classification: 'completed', branchName: `plato/graph-${parentId}`, conflicts: [] });
    expect(results.results.map((result) => result.taskId)).toEqual(['chain-a', 'chain-b', 'chain-c']);
    expect(results.results[0]).toMatchObject({ classification: 'completed', summary: 'a done', filesChanged: ['a.txt'] });
  });

  it('tells each child the overall goal and its part', () => {
    const request = harness().model.requests.find((recorded) => recorded.userText.includes('step-b-marker'));
    expect(request?.userText).toContain('Overall goal:\nBuild the chain of files');
    expect(request?.userText).toContain('Your part (task chain-b)');
  });

  it('reads the same graph by a child id as by the parent id', async () => {
    const byParent = await harness().cli(['graph', 'status', parentId, '--json']);
    const byChild = await harness().cli(['graph', 'status', 'chain-b', '--json']);
    expect(byParent.code).toBe(0);
    expect(JSON.parse(byChild.stdout)).toEqual(JSON.parse(byParent.stdout));
    const { graph } = JSON.parse(byParent.stdout) as { graph: TaskGraphSnapshot };
    expect(graph.state).toBe('completed');
    expect(graph.dependencies).toEqual({ 'chain-c': ['chain-b'], 'chain-a': [], 'chain-b': ['chain-a'] });
  });

  it('prints its synthesis with graph synthesis, by a child id too, and the record with --json', async () => {
    const { synthesis } = await harness().client.getTaskGraphResults(parentId);
    const text = await harness().cli(['graph', 'synthesis', 'chain-b']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(`synthesis: completed\n${synthesis!.summary}\n  branch plato/graph-${parentId} at ${synthesis!.commitSha!.slice(0, 12)}\n`);
    const json = await harness().cli(['graph', 'synthesis', parentId, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ synthesis });
  });
});

describe('a fan-out of 6 with --max-concurrent-tasks 2', () => {
  const parentId = 'fan';
  const priorities = [1, 5, 3, 6, 2, 4];

  beforeAll(async () => {
    const repo = await harness().makeRepo();
    for (const [i] of priorities.entries()) {
      harness().model.script({ when: `fan-marker-${i}`, steps: [exec(`sleep 1 && echo ${i} > f${i}.txt`), say(`fan ${i} done`)] });
    }
    const result = await harness().cli([
      'graph',
      'start',
      '--task-id',
      parentId,
      '--repo-path',
      repo,
      '--prompt',
      'Fan out',
      '--max-concurrent-tasks',
      '2',
      '--wait',
      ...priorities.flatMap((priority, i) => ['--child', `fan-${i}:Write f${i}.txt (fan-marker-${i}):${priority}`]),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('never runs more than 2 sessions at once', async () => {
    const intervals = await Promise.all(
      priorities.map(async (_, i) => {
        const events = await eventsOf(`fan-${i}`);
        return [firstAt(events, 'task.graph.worker.started'), firstAt(events, 'task.completed')] as const;
      }),
    );
    for (const [start] of intervals) {
      const running = intervals.filter(([s, e]) => s <= start && start < e).length;
      expect(running).toBeLessThanOrEqual(2);
    }
  });

  it('starts higher priority first', async () => {
    const starts = await Promise.all(
      priorities.map(async (priority, i) => ({ priority, at: firstAt(await eventsOf(`fan-${i}`), 'task.graph.worker.started') })),
    );
    const order = [...starts].sort((a, b) => a.at - b.at).map((start) => start.priority);
    expect(order.slice(0, 2).sort()).toEqual([5, 6]);
    expect(order.slice(2, 4).sort()).toEqual([3, 4]);
    expect(order.slice(4).sort()).toEqual([1, 2]);
  });

  it('pays nothing for the session window: no child waits for a prerequisite', async () => {
    expect(signalNames(await historyOfTask(parentId))).not.toContain('graphSession');
  });
});

describe('a failing child', () => {
  const parentId = 'failing';

  beforeAll(async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'bad-marker', steps: [httpError(400, 'scripted model failure')] });
    harness().model.script({ when: 'sibling-marker', steps: [exec('sleep 2 && echo ok > sibling.txt'), say('sibling done')] });
    await harness().client.createTaskGraph({
      parent: { taskId: parentId, repoPath: repo, prompt: 'A graph with a failure' },
      children: [
        { taskId: 'bad', prompt: 'Fail (bad-marker)' },
        { taskId: 'after-bad', prompt: 'Never runs', dependencyTaskIds: ['bad'] },
        { taskId: 'after-after-bad', prompt: 'Never runs either', dependencyTaskIds: ['after-bad'] },
        { taskId: 'sibling', prompt: 'Independent work (sibling-marker)' },
      ],
    });
  });

  it('blocks its dependents, transitively, naming the root cause', async () => {
    for (const id of ['after-bad', 'after-after-bad']) {
      const task = await harness().client.waitForTask(id);
      expect(task).toMatchObject({ state: 'failed', failure: { code: 'TASK_GRAPH_DEPENDENCY_FAILED' } });
      expect(task.worktreePath).toBeUndefined();
      const blocked = (await eventsOf(id)).find((event) => event.type === 'task.graph.dependency.blocked');
      expect(blocked?.message).toContain('root cause: bad CODEX_TURN_FAILED');
    }
    expect((await eventsOf('after-after-bad')).find((e) => e.type === 'task.graph.dependency.blocked')?.blockedByTaskIds).toEqual(['after-bad']);
    await harness().recordHistory('graph-child-blocked', 'after-bad');
  });

  it('lets independent siblings finish, then fails the graph once, saying which child failed and why', async () => {
    const parent = await harness().client.waitForTask(parentId);
    expect(parent.state).toBe('failed');
    expect(parent.failure?.code).toBe('TASK_GRAPH_CHILD_FAILED');
    expect((await harness().client.getTask('sibling')).state).toBe('completed');

    const events = await eventsOf(parentId);
    const terminal = terminalGraphEvents(events);
    expect(terminal.map((event) => event.type)).toEqual(['task.graph.failed']);
    const siblingDone = events.find((event) => event.type === 'task.graph.child.completed' && event.childTaskId === 'sibling');
    expect(siblingDone!.seq).toBeLessThan(terminal[0]!.seq);

    const { synthesis } = await harness().client.getTaskGraphResults(parentId);
    expect(synthesis?.classification).toBe('failed');
    expect(synthesis?.summary).toContain('bad failed: CODEX_TURN_FAILED');
    expect(synthesis?.summary).toContain('scripted model failure');
    const description = await harness().client.temporal.workflow.getHandle(taskWorkflowId(parentId)).describe();
    expect(description.status.name).toBe('FAILED');
    await harness().recordHistory('graph-failed', parentId);
  });
});

describe('a child with two prerequisites', () => {
  it('starts from their merge; conflicting prerequisites fail it with TASK_GRAPH_MERGE_CONFLICT naming the files', async () => {
    const repo = await harness().makeRepo({ 'shared.txt': 'base\n' });
    harness().model.script({ when: 'left-marker', steps: [exec('echo left > left.txt && echo left > shared.txt'), say('left')] });
    harness().model.script({ when: 'right-marker', steps: [exec('echo right > right.txt && echo right > shared.txt'), say('right')] });
    harness().model.script({ when: 'merge-ok-marker', steps: [exec('echo both > both.txt'), say('both')] });
    harness().model.script({ when: 'reader-of-l-marker', steps: [exec('cat left.txt > seen.txt'), say('seen')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'diamond', repoPath: repo, prompt: 'Two prerequisites' },
      children: [
        { taskId: 'left', prompt: 'Left (left-marker)' },
        { taskId: 'right', prompt: 'Right (right-marker)' },
        { taskId: 'after-both', prompt: 'Combine (merge-ok-marker)', dependencyTaskIds: ['left', 'right'] },
        { taskId: 'after-left', prompt: 'Read left (reader-of-l-marker)', dependencyTaskIds: ['left'] },
      ],
    });
    const conflicted = await harness().client.waitForTask('after-both');
    expect(conflicted.state).toBe('failed');
    expect(conflicted.failure?.code).toBe('TASK_GRAPH_MERGE_CONFLICT');
    expect(conflicted.failure?.message).toContain('shared.txt');
    expect((await harness().client.waitForTask('after-left')).state).toBe('completed');
    expect(await simpleGit(repo).show(['plato/task-after-left:seen.txt'])).toBe('left\n');
    expect((await harness().client.waitForTask('diamond')).state).toBe('failed');
    const { results, synthesis } = await harness().client.getTaskGraphResults('diamond');
    expect(results.find((result) => result.taskId === 'after-both')?.classification).toBe('conflicted');

    // The graph branch takes children as they complete: whichever of left and right completed
    // second conflicts there and is left out, and so is after-left when it carries left's change.
    const second = synthesis!.conflicts[0]!.taskId;
    const first = second === 'left' ? 'right' : 'left';
    expect(synthesis?.conflicts).toEqual(
      first === 'left'
        ? [{ taskId: 'right', files: ['shared.txt'] }]
        : [
            { taskId: 'left', files: ['shared.txt'] },
            { taskId: 'after-left', files: ['shared.txt'] },
          ],
    );
    const graphBranch = simpleGit(repo);
    expect(await graphBranch.show(['plato/graph-diamond:shared.txt'])).toBe(`${first}\n`);
    const files = (await graphBranch.raw(['ls-tree', '--name-only', 'plato/graph-diamond'])).split('\n');
    expect(files.includes('seen.txt')).toBe(first === 'left');
  });

  it('sees both prerequisites when they do not conflict', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'p1-marker', steps: [exec('echo one > one.txt'), say('one')] });
    harness().model.script({ when: 'p2-marker', steps: [exec('echo two > two.txt'), say('two')] });
    harness().model.script({ when: 'join-marker', steps: [exec('cat one.txt two.txt > joined.txt'), say('joined')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'join', repoPath: repo, prompt: 'Join two' },
      children: [
        { taskId: 'p1', prompt: 'One (p1-marker)' },
        { taskId: 'p2', prompt: 'Two (p2-marker)' },
        { taskId: 'joined', prompt: 'Join (join-marker)', dependencyTaskIds: ['p1', 'p2'] },
      ],
    });
    expect((await harness().client.waitForTask('join')).state).toBe('completed');
    expect(await simpleGit(repo).show(['plato/task-joined:joined.txt'])).toBe('one\ntwo\n');
    expect(await simpleGit(repo).show(['plato/graph-join:joined.txt'])).toBe('one\ntwo\n');
  });
});

/**
 * A graph of one child (writes done.txt) whose graph branch's ref carries git's own lock file:
 * every attempt of the merge activity fails to move it.
 */
async function graphWithLockedBranch(parentId: string): Promise<void> {
  const repo = await harness().makeRepo();
  harness().model.script({ when: `${parentId}-marker`, steps: [exec('echo done > done.txt'), say('done')] });
  await mkdir(path.join(repo, '.git', 'refs', 'heads', 'plato'), { recursive: true });
  await writeFile(path.join(repo, '.git', 'refs', 'heads', 'plato', `graph-${parentId}.lock`), '');
  await harness().client.createTaskGraph({
    parent: { taskId: parentId, repoPath: repo, prompt: 'A graph whose branch is locked' },
    children: [{ taskId: `${parentId}-child`, prompt: `Write done.txt (${parentId}-marker)` }],
  });
}

describe('a graph branch that cannot be written', () => {
  it('ends the graph failed with TASK_GRAPH_MERGE_FAILED, one terminal event and a synthesis saying why', async () => {
    await graphWithLockedBranch('unmergeable');

    const parent = await harness().client.waitForTask('unmergeable');
    expect(parent.state).toBe('failed');
    expect(parent.failure?.code).toBe('TASK_GRAPH_MERGE_FAILED');
    expect(parent.failure?.message).toContain('could not be merged into plato/graph-unmergeable');
    expect(parent.failure?.message).toContain('.lock');
    expect((await harness().client.getTask('unmergeable-child')).state).toBe('completed');

    const events = await eventsOf('unmergeable');
    expect(terminalGraphEvents(events).map((event) => event.type)).toEqual(['task.graph.failed']);
    expect(events.map((event) => event.type)).not.toContain('task.graph.merged');
    const { synthesis } = await harness().client.getTaskGraphResults('unmergeable');
    expect(synthesis).toMatchObject({ classification: 'failed', conflicts: [] });
    expect(synthesis?.summary).toContain('TASK_GRAPH_MERGE_FAILED');
    expect(synthesis?.branchName).toBeUndefined();
    const description = await harness().client.temporal.workflow.getHandle(taskWorkflowId('unmergeable')).describe();
    expect(description.status.name).toBe('FAILED');
    await harness().recordHistory('graph-merge-failed', 'unmergeable');
  });
});

describe('a graph cancelled while its branch is being merged', () => {
  it('ends cancelled with its bookkeeping: one task.graph.failed, state cancelled', async () => {
    // The locked ref keeps the merge activity retrying, so the cancellation lands during it.
    await graphWithLockedBranch('late-cancel');
    const parent = harness().client.temporal.workflow.getHandle(taskWorkflowId('late-cancel'));
    await eventually(
      async () =>
        (await parent.describe()).raw.pendingActivities?.some((activity) => activity.activityType?.name === 'mergeGraphBranch' && (activity.attempt ?? 0) >= 2),
      30_000,
      'the merge activity to be retrying',
    );
    await harness().client.cancel('late-cancel');

    await eventually(async () => (await parent.describe()).status.name === 'CANCELLED', 30_000, 'the graph to end cancelled');
    expect((await harness().client.getTask('late-cancel-child')).state).toBe('completed');
    const events = await eventsOf('late-cancel');
    expect(terminalGraphEvents(events).map((event) => event.errorCode)).toEqual(['TASK_CANCELLED']);
    expect((await harness().client.getTask('late-cancel')).state).toBe('cancelled');
    const synthesis = await harness().cli(['graph', 'synthesis', 'late-cancel']);
    expect(synthesis.code).not.toBe(0);
    expect(synthesis.stderr).toContain('Task graph late-cancel has no synthesis. No synthesis: the graph ended cancelled before it made one.');
  });
});

describe('graph validation, before anything is created', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await harness().makeRepo();
  });

  const cases: [string, Parameters<RunnerHarness['client']['createTaskGraph']>[0]['children'], string][] = [
    ['no children', [], 'Task graph requires at least one child task'],
    [
      'duplicate ids',
      [
        { taskId: 'v-a', prompt: 'x' },
        { taskId: 'v-a', prompt: 'y' },
      ],
      'Task graph contains duplicate task id v-a',
    ],
    ['a dependency on itself', [{ taskId: 'v-a', prompt: 'x', dependencyTaskIds: ['v-a'] }], 'Task graph child v-a cannot depend on itself'],
    ['a missing dependency', [{ taskId: 'v-a', prompt: 'x', dependencyTaskIds: ['v-zz'] }], 'Task graph child v-a depends on missing child task v-zz'],
    [
      'a duplicated dependency',
      [
        { taskId: 'v-a', prompt: 'x' },
        { taskId: 'v-b', prompt: 'y', dependencyTaskIds: ['v-a', 'v-a'] },
      ],
      'Task graph child v-b contains duplicate dependency v-a',
    ],
    [
      'a cycle',
      [
        { taskId: 'v-a', prompt: 'x', dependencyTaskIds: ['v-b'] },
        { taskId: 'v-b', prompt: 'y', dependencyTaskIds: ['v-a'] },
      ],
      'Task graph child dependencies contain a cycle: v-a -> v-b -> v-a',
    ],
    ['a bad id', [{ taskId: '../escape', prompt: 'x' }], 'children.0.taskId: task id must start with a letter or digit'],
    ['another repository', [{ taskId: 'v-a', prompt: 'x', repoPath: '/somewhere/else' }], 'a graph works in one repository'],
    ['an id that exists', [{ taskId: 'chain-a', prompt: 'x' }], 'Task chain-a already exists'],
  ];

  it.each(cases)('refuses %s', async (_, children, message) => {
    await expect(harness().client.createTaskGraph({ parent: { taskId: 'v-parent', repoPath: repo, prompt: 'goal' }, children })).rejects.toThrow(message);
    await expect(harness().client.temporal.workflow.getHandle(taskWorkflowId('v-parent')).describe()).rejects.toThrow(/not found/i);
    expect((await simpleGit(repo).branchLocal()).all).toEqual(['main']);
  });

  it('prints one clear line on the CLI for a bad --child', async () => {
    const result = await harness().cli(['graph', 'start', '--repo-path', repo, '--prompt', 'goal', '--child', 'no-colon']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('VALIDATION_FAILED: --child must use JSON or taskId:prompt[:priority]');
  });

  it('names the cycle on the CLI', async () => {
    const result = await harness().cli([
      'graph',
      'start',
      '--repo-path',
      repo,
      '--prompt',
      'goal',
      '--child',
      '{"taskId":"x1","prompt":"p","dependencies":["x2"]}',
      '--child',
      '{"taskId":"x2","prompt":"p","dependencyTaskIds":["x1"]}',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('VALIDATION_FAILED: Task graph child dependencies contain a cycle: x1 -> x2 -> x1');
  });

  it('is a ValidationError with a stable code', async () => {
    await expect(harness().client.createTaskGraph({ parent: { repoPath: repo, prompt: 'goal' }, children: [] })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('children exist before they run', () => {
  it('lists and queries a queued child', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'slow-first-marker', steps: [exec('sleep 3'), say('slow done')] });
    harness().model.script({ when: 'waiting-marker', steps: [say('waited')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'queued-graph', repoPath: repo, prompt: 'Queue' },
      children: [
        { taskId: 'slow-first', prompt: 'Slow (slow-first-marker)' },
        { taskId: 'waiting', prompt: 'Wait (waiting-marker)', dependencyTaskIds: ['slow-first'] },
      ],
    });
    const listed = await eventually(async () => {
      const tasks = await harness().client.listTasks({ parentTaskId: 'queued-graph' });
      return tasks.length === 2 && tasks;
    });
    expect(listed.map((task) => task.taskId).sort()).toEqual(['slow-first', 'waiting']);
    expect((await harness().client.getTask('waiting')).state).toBe('queued');
    const cli = await harness().server.cli(['workflow', 'list', '--query', 'CodexParentTaskId="queued-graph"']);
    expect(cli.stdout).toContain('codex-task-waiting');
    // The Web UI's current details of the parent show the graph: each child and its state.
    const details = await parentDetails('queued-graph');
    expect(details).toContain('**Graph:** running; 1 running, 1 queued');
    expect(details).toContain('| waiting | queued (waiting for its prerequisites) | slow-first |  |');
    expect((await harness().client.waitForTask('queued-graph')).state).toBe('completed');
    expect(await parentDetails('queued-graph')).toMatch(/\| waiting \| completed \| slow-first \| [0-9a-f]{12} \|/);
  });
});

describe('a graph wider than its first wave', () => {
  it('starts the waiting child and the first 16 ready ones first, the other ready ones after', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'wide-marker', steps: [say('wide done')] });
    const ready = Array.from({ length: 18 }, (_, i) => ({ taskId: `wide-${i + 1}`, prompt: `Part ${i + 1} (wide-marker)`, priority: i < 16 ? 1 : 0 }));
    // The two lowest-priority ready children come first in the input: priority decides the wave.
    const children = [...ready.slice(16), ...ready.slice(0, 16), { taskId: 'wide-after', prompt: 'After part 1 (wide-marker)', dependencyTaskIds: ['wide-1'] }];
    await harness().client.createTaskGraph({ parent: { taskId: 'wide', repoPath: repo, prompt: 'A wide graph' }, children });
    expect((await harness().client.waitForTask('wide')).state).toBe('completed');

    const [first, second, ...rest] = await childStartsByWorkflowTask('wide');
    expect(rest).toEqual([]);
    expect(first!.sort()).toEqual([...ready.slice(0, 16).map((child) => child.taskId), 'wide-after'].sort());
    expect(second!.sort()).toEqual(['wide-17', 'wide-18']);

    // Released at start: the first ready child only (the session window); the others by signal.
    expect(signalNames(await historyOfTask('wide-1'))).not.toContain('graphRelease');
    expect(signalNames(await historyOfTask('wide-18'))).toContain('graphRelease');
    expect(signalNames(await historyOfTask('wide-after'))).toContain('graphRelease');
    // The patches since the baseline: the children's ids checked before any is started, the status memo, the config read at the graph's base, the children's details.
    expect(patchIds(await historyOfTask('wide'))).toEqual(['child-ids-checked', 'status-memo', 'config-at-graph-base', 'child-details']);
  });
});

describe('a chain among independent children, no graph limit, the worker busy', () => {
  const parentId = 'busy';
  /** When each child's Codex turn started: when a worker took its first runCodexTurn activity. */
  const turnStartedAt = async (taskId: string) => {
    const events = (await historyOfTask(taskId)).events ?? [];
    const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'runCodexTurn')!;
    return tsToMs(events.find((event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId))!.eventTime);
  };

  it('hands a freed slot to the dependent before independent children listed after it', async () => {
    const repo = await harness().makeRepo();
    // The order this test is about is forced with marker files, not left to how long each step
    // takes on a loaded machine: busy-a holds its slot until busy-i3 has a session (so busy-i4 is
    // released to wait for one), and busy-i1..i3 hold theirs until busy-i4 has one (so busy-b,
    // released then, waits for a slot while busy-i5 is still ready).
    const marks = path.join(harness().codexEnv.root, 'busy-marks');
    await mkdir(marks);
    const mark = (name: string) => `touch ${path.join(marks, name)}`;
    const until = (name: string) => `until [ -e ${path.join(marks, name)} ]; do sleep 0.1; done`;
    const held = { yieldTimeMs: 60_000 };
    harness().model.script({ when: 'busy-marker-a.', steps: [exec(`${until('i3')} && echo a > a.txt`, held), say('a done')] });
    harness().model.script({ when: 'busy-marker-b.', steps: [exec('echo b > b.txt'), say('b done')] });
    for (let i = 1; i <= 3; i++) {
      harness().model.script({
        when: `busy-marker-i${i}.`,
        steps: [exec(`${mark(`i${i}`)} && ${until('i4')} && sleep 1 && echo ${i} > i${i}.txt`, held), say(`i${i} done`)],
      });
    }
    harness().model.script({ when: 'busy-marker-i4.', steps: [exec(`${mark('i4')} && sleep 3 && echo 4 > i4.txt`), say('i4 done')] });
    harness().model.script({ when: 'busy-marker-i5.', steps: [exec('echo 5 > i5.txt'), say('i5 done')] });
    // The worker has 4 session slots: busy-a and three slow ones take them; busy-b becomes ready
    // when busy-a completes, while busy-i4 and busy-i5 are still ready and waiting.
    const slow = Array.from({ length: 5 }, (_, i) => ({ taskId: `busy-i${i + 1}`, prompt: `Slow part ${i + 1} (busy-marker-i${i + 1}.)` }));
    const children = [
      { taskId: 'busy-a', prompt: 'First link (busy-marker-a.)' },
      { taskId: 'busy-b', prompt: 'Second link (busy-marker-b.)', dependencyTaskIds: ['busy-a'] },
      ...slow,
    ];
    await harness().client.createTaskGraph({ parent: { taskId: parentId, repoPath: repo, prompt: 'A chain among slow parts' }, children });
    expect((await harness().client.waitForTask(parentId)).state).toBe('completed');

    // busy-i4, released to wait for a slot, takes busy-a's; the parent then waits for busy-a's
    // outcome and releases busy-b before busy-i5. Before the session window every ready child was
    // released at once, and busy-b's turn queued behind busy-i4's and busy-i5's.
    expect(await turnStartedAt('busy-b')).toBeLessThan(await turnStartedAt('busy-i5'));
    // Each child released while busy-b waited (for busy-a, then for a slot) said when its turn had
    // a slot and when it gave it up; busy-i5, released after, had no order left to keep.
    const told = signalNames(await historyOfTask(parentId)).filter((name) => name === 'graphSession');
    expect(told).toHaveLength(2 * (children.length - 1));
    await harness().recordHistory('graph-session-window', parentId);
  });
});

describe('a graph wider than three waves', () => {
  it('starts the ready children beyond the first wave in waves of 16, highest priority first', async () => {
    const repo = await harness().makeRepo();
    // Stuck children: only their starts matter here, and the graph is cancelled once all are asked for.
    const children = Array.from({ length: 35 }, (_, i) => ({ taskId: `waves-${i}`, prompt: `Stuck (waves-marker-${i}.)`, priority: i % 5 }));
    for (const [i] of children.entries()) harness().model.script({ when: `waves-marker-${i}.`, steps: [hang(), say('never')] });
    await harness().client.createTaskGraph({ parent: { taskId: 'waves', repoPath: repo, prompt: 'Many ready children' }, children });

    const parent = harness().client.temporal.workflow.getHandle(taskWorkflowId('waves'));
    const waves = await childStartsByWorkflowTask('waves');
    await harness().client.cancel('waves');
    const byPriority = [...children].sort((a, b) => b.priority - a.priority || children.indexOf(a) - children.indexOf(b)).map((child) => child.taskId);
    const sorted = (ids: string[]) => [...ids].sort();
    expect(waves.map(sorted)).toEqual([byPriority.slice(0, 16), byPriority.slice(16, 32), byPriority.slice(32)].map(sorted));
    await eventually(async () => (await parent.describe()).status.name === 'CANCELLED', 60_000, 'the graph to end cancelled');
    await harness().recordHistory('graph-started-in-waves', 'waves');
  });
});

describe('the plain temporal CLI', () => {
  it('starts a graph from the documented input JSON', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'plain-graph-one', steps: [exec('echo one > one.txt'), say('one')] });
    harness().model.script({ when: 'plain-graph-two', steps: [exec('cat one.txt > two.txt'), say('two')] });
    const input = {
      parent: { taskId: 'plain-graph', repoPath: repo, prompt: 'A graph started with temporal workflow start' },
      children: [
        { taskId: 'plain-one', prompt: 'First (plain-graph-one)' },
        { taskId: 'plain-two', prompt: 'Second (plain-graph-two)', dependencyTaskIds: ['plain-one'], priority: 5 },
      ],
      maxConcurrentTasks: 1,
    };
    const started = await harness().temporalStart('taskGraphWorkflow', 'plain-graph', input);
    expect(started.code).toBe(0);
    expect((await harness().client.waitForTask('plain-graph')).state).toBe('completed');
    expect(await simpleGit(repo).show(['plato/graph-plain-graph:two.txt'])).toBe('one\n');
    expect(patchIds(await historyOfTask('plain-graph'))).toEqual(['child-ids-checked', 'status-memo', 'config-at-graph-base', 'child-details']);
    await harness().recordHistory('graph-child-ids-checked', 'plain-graph');
  });

  it('refuses a graph whose child id is taken before it starts any child, naming the id', async () => {
    const repo = await harness().makeRepo();
    // A task with the child's id is running.
    const holder = harness().model.script({ when: 'taken-holder-marker', steps: [hang()] });
    await harness().client.startTask({ taskId: 'taken', repoPath: repo, prompt: 'Hold the id (taken-holder-marker)' });
    await holder.waitForRequests(1);
    const fillers = Array.from({ length: 15 }, (_, i) => ({ taskId: `taken-filler-${i}`, prompt: 'Filler', priority: 1 }));
    const input = {
      parent: { taskId: 'taken-graph', repoPath: repo, prompt: 'A graph whose child id is taken' },
      children: [
        { taskId: 'taken', prompt: 'Cannot start' },
        { taskId: 'taken-after', prompt: 'After the taken one', dependencyTaskIds: ['taken'] },
        ...fillers,
      ],
    };
    const started = await harness().temporalStart('taskGraphWorkflow', 'taken-graph', input);
    expect(started.code).toBe(0);
    const parent = await harness().client.waitForTask('taken-graph');
    expect(parent).toMatchObject({
      state: 'failed',
      failure: { code: 'TASK_ALREADY_EXISTS', message: 'Task graph child taken already exists: give it another id' },
    });
    expect(terminalGraphEvents(await eventsOf('taken-graph')).map((event) => event.errorCode)).toEqual(['TASK_ALREADY_EXISTS']);
    expect(await harness().client.listTasks({ parentTaskId: 'taken-graph' })).toEqual([]);
    // The task that held the id is untouched by the graph.
    expect((await harness().client.getTask('taken')).state).toBe('running');
    await harness().client.cancel('taken');
    await harness().recordHistory('graph-child-id-taken', 'taken-graph');
  });

  it('fails an invalid graph at once, before any child exists', async () => {
    const repo = await harness().makeRepo();
    const input = {
      parent: { taskId: 'plain-cycle', repoPath: repo, prompt: 'cycle' },
      children: [
        { taskId: 'cyc-a', prompt: 'a', dependencyTaskIds: ['cyc-b'] },
        { taskId: 'cyc-b', prompt: 'b', dependencyTaskIds: ['cyc-a'] },
      ],
    };
    await harness().temporalStart('taskGraphWorkflow', 'plain-cycle', input);
    await expect(harness().client.temporal.workflow.getHandle('codex-task-plain-cycle').result()).rejects.toMatchObject({
      cause: { type: 'VALIDATION_FAILED', message: 'Task graph child dependencies contain a cycle: cyc-a -> cyc-b -> cyc-a' },
    });
    await expect(harness().client.temporal.workflow.getHandle(taskWorkflowId('cyc-a')).describe()).rejects.toThrow(/not found/i);
  });
});

describe('determinism', () => {
  it('replays the histories of the graphs above', async () => {
    const results = await replayAll(harness().client.temporal.workflow.list({ query: 'ExecutionStatus != "Running"' }).intoHistories());
    expect(results.filter(({ error }) => error !== undefined)).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });
});
