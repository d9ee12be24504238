import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { WrongStateError } from '../../src/client/errors';
import { eventsFromHistory } from '../../src/client/history-events';
import type { TaskEvent } from '../../src/contracts/events';
import { DEFAULT_TASK_QUEUE, taskWorkflowId } from '../../src/contracts/ids';
import { findCodexProcessesIn } from '../../src/activities/orphaned-codex';
import { interruptSignal, resumeSignal } from '../../src/workflows/messages';
import { replayAll } from '../support/replay';
import { historyOf, signalledSessionEvents, terminalGraphEvents } from '../support/task-events';
import { eventually, useRunnerHarness } from '../support/runner-harness';
import { exec, hang, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();

const stateOf = async (taskId: string) => (await harness().client.getTask(taskId)).state;
const untilState = (taskId: string, state: string) => eventually(async () => (await stateOf(taskId)) === state, 60_000, `${taskId} to be ${state}`);
const typesOf = async (taskId: string) => (await harness().client.listEvents(taskId)).map((event) => event.type);

describe('interrupt and resume', () => {
  const taskId = 'interrupt-me';
  let repo: string;

  beforeAll(async () => {
    repo = await harness().makeRepo();
    const script = harness().model.script({
      when: 'interrupt-marker',
      steps: [hang(), exec('echo resumed > resumed.txt'), say('finished after the resume')],
    });
    await harness().client.startTask({ taskId, repoPath: repo, prompt: 'Work until interrupted (interrupt-marker)' });
    await script.waitForRequests(1);
  });

  it('aborts the running session: interrupted, no codex process left, worktree and thread kept', async () => {
    const result = await harness().cli(['interrupt', taskId, '--reason', 'operator wants a word']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Interrupted ${taskId}`);
    const task = await harness().client.getTask(taskId);
    expect(task.state).toBe('interrupted');
    expect(task.threadId).toEqual(expect.any(String));
    expect(existsSync(path.join(task.worktreePath!, 'README.md'))).toBe(true);
    expect(await findCodexProcessesIn(task.worktreePath!)).toEqual([]);
    const interrupted = (await harness().client.listEvents(taskId)).find((event) => event.type === 'task.interrupted');
    expect(interrupted).toMatchObject({ message: 'operator wants a word', threadId: task.threadId });
  });

  it('resumes on the same thread with the message, and the task completes', async () => {
    const { threadId } = await harness().client.getTask(taskId);
    const result = await harness().cli(['resume', taskId, '--message', 'Please write resumed.txt now']);
    expect(result.code).toBe(0);
    const task = await harness().client.waitForTask(taskId);
    expect(task).toMatchObject({ state: 'completed', threadId, finalMessage: 'finished after the resume' });
    expect(await simpleGit(repo).show([`plato/task-${taskId}:resumed.txt`])).toBe('resumed\n');

    const resumedRequest = harness().model.requests.find((request) => request.userText.includes('Please write resumed.txt now'));
    expect(resumedRequest?.userText).toContain('Work until interrupted (interrupt-marker)');
    const types = await typesOf(taskId);
    expect(types.indexOf('task.resumed')).toBeGreaterThan(types.indexOf('task.interrupted'));
    await harness().recordHistory('task-interrupted-resumed', taskId);
  });

  it('says so when a task cannot be interrupted', async () => {
    const result = await harness().cli(['interrupt', taskId]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`TASK_WRONG_STATE: Task ${taskId} was not interrupted: it is completed`);
  });

  it('keeps an interrupted queued graph child from starting until it is resumed', async () => {
    const graphRepo = await harness().makeRepo();
    const first = harness().model.script({ when: 'gate-first-marker', steps: [exec('sleep 2'), say('first')] });
    harness().model.script({ when: 'gate-second-marker', steps: [say('second')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'gated', repoPath: graphRepo, prompt: 'Gate' },
      children: [
        { taskId: 'gate-first', prompt: 'First (gate-first-marker)' },
        { taskId: 'gate-second', prompt: 'Second (gate-second-marker)', dependencyTaskIds: ['gate-first'] },
      ],
    });
    await harness().client.interrupt('gate-second');
    await untilState('gate-second', 'interrupted');
    await first.waitForRequests(2);
    await untilState('gate-first', 'completed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await stateOf('gate-second')).toBe('interrupted');
    expect(harness().model.requests.some((request) => request.userText.includes('gate-second-marker'))).toBe(false);
    await harness().client.resume('gate-second');
    expect((await harness().client.waitForTask('gated')).state).toBe('completed');
    await harness().recordHistory('graph-child-interrupted-queued', 'gate-second');
  });
});

describe('the approval gate', () => {
  async function awaitingTask(taskId: string, marker: string, extra: string[] = []) {
    const repo = await harness().makeRepo();
    harness().model.script({
      when: marker,
      steps: [exec(`echo ${taskId} > work.txt`), say(`${taskId} ready for review`), exec('echo more >> work.txt'), say('changed as asked')],
    });
    const result = await harness().cli([
      'start',
      '--task-id',
      taskId,
      '--repo-path',
      repo,
      '--prompt',
      `Do the work (${marker})`,
      '--require-approval',
      ...extra,
    ]);
    expect(result.code).toBe(0);
    await untilState(taskId, 'awaiting_approval');
    return repo;
  }

  it('waits in awaiting_approval with a summary, and approve completes it, recording who and why', async () => {
    await awaitingTask('approve-me', 'approve-marker');
    const waiting = await harness().client.getTask('approve-me');
    expect(waiting.approval).toMatchObject({ finalMessage: 'approve-me ready for review', diffStat: expect.stringContaining('work.txt') });
    const result = await harness().cli(['approve', 'approve-me', '--by', 'alice', '--comment', 'looks good', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      task: { state: 'completed', approval: { decision: { kind: 'approved', by: 'alice', message: 'looks good' } } },
    });
    const granted = (await harness().client.listEvents('approve-me')).find((event) => event.type === 'task.approval.granted');
    expect(granted).toMatchObject({ actor: 'alice', message: 'looks good' });
    const history = await historyOf(harness().client, 'approve-me');
    expect(eventsFromHistory(history).find((event) => event.type === 'task.approval.granted')).toMatchObject({ actor: 'alice', message: 'looks good' });
    expect(history.events?.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(true);
    await harness().recordHistory('task-approved', 'approve-me');
  });

  it('reject fails the task with TASK_APPROVAL_REJECTED', async () => {
    await awaitingTask('reject-me', 'reject-marker');
    const task = await harness().client.reject('reject-me', { reason: 'wrong approach', by: 'bob' });
    expect(task).toMatchObject({ state: 'failed', failure: { code: 'TASK_APPROVAL_REJECTED', message: 'Rejected by bob: wrong approach' } });
    const rejected = (await harness().client.listEvents('reject-me')).find((event) => event.type === 'task.approval.rejected');
    expect(rejected).toMatchObject({ actor: 'bob', message: 'wrong approach' });
    await harness().recordHistory('task-rejected', 'reject-me');
  });

  it('request-changes runs another turn on the same thread with the feedback, then waits again', async () => {
    const repo = await awaitingTask('change-me', 'change-marker');
    const { threadId } = await harness().client.getTask('change-me');
    await harness().client.requestChanges('change-me', { message: 'Append a second line, please', by: 'carol' });
    await untilState('change-me', 'awaiting_approval');
    const again = await harness().client.getTask('change-me');
    expect(again.threadId).toBe(threadId);
    expect(again.approval?.finalMessage).toBe('changed as asked');
    const feedback = harness().model.requests.find((request) => request.userText.includes('Append a second line, please'));
    expect(feedback?.userText).toContain('Do the work (change-marker)');
    await harness().client.approve('change-me', {});
    expect(await simpleGit(repo).show(['plato/task-change-me:work.txt'])).toBe('change-me\nmore\n');
    expect(await typesOf('change-me')).toEqual(expect.arrayContaining(['task.changes_requested', 'task.approval.granted']));
    await harness().recordHistory('task-changes-requested', 'change-me');
  });

  it('fails an unanswered task after --approval-timeout with TASK_APPROVAL_TIMED_OUT', async () => {
    await awaitingTask('time-me-out', 'timeout-marker', ['--approval-timeout', '2s']);
    const task = await harness().client.waitForTask('time-me-out');
    expect(task).toMatchObject({ state: 'failed', failure: { code: 'TASK_APPROVAL_TIMED_OUT' } });
    expect(await typesOf('time-me-out')).toContain('task.approval.timed_out');
    await harness().recordHistory('task-approval-timed-out', 'time-me-out');
  });

  it('refuses approve on a running task with a specific error, leaving no trace', async () => {
    const repo = await harness().makeRepo();
    const script = harness().model.script({ when: 'busy-marker', steps: [hang(), say('done at last')] });
    await harness().client.startTask({ taskId: 'busy', repoPath: repo, prompt: 'Busy (busy-marker)', requireApproval: true });
    await script.waitForRequests(1);
    const handle = harness().client.temporal.workflow.getHandle(taskWorkflowId('busy'));
    const eventsBefore = (await handle.fetchHistory()).events?.length;
    await expect(harness().client.approve('busy')).rejects.toThrow(WrongStateError);
    await expect(harness().client.approve('busy')).rejects.toMatchObject({
      code: 'TASK_WRONG_STATE',
      message: 'Task busy is not awaiting approval (it is running)',
    });
    const cli = await harness().cli(['approve', 'busy']);
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim()).toBe('TASK_WRONG_STATE: Task busy is not awaiting approval (it is running)');
    const history = await handle.fetchHistory();
    expect(history.events?.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    expect(history.events?.length).toBeGreaterThanOrEqual(eventsBefore ?? 0);
    expect(await stateOf('busy')).toBe('running');
    await harness().client.cancel('busy');
  });
});

describe('cancel', () => {
  it('cancels a child in the middle of a chain: its dependents fail as blocked, siblings finish', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'chain-one-marker', steps: [exec('echo one > one.txt'), say('one')] });
    const middle = harness().model.script({ when: 'chain-two-marker', steps: [hang(), say('never')] });
    harness().model.script({ when: 'side-marker', steps: [exec('sleep 1 && echo side > side.txt'), say('side')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'cancel-chain', repoPath: repo, prompt: 'Cancel in the middle' },
      children: [
        { taskId: 'c-one', prompt: 'One (chain-one-marker)' },
        { taskId: 'c-two', prompt: 'Two (chain-two-marker)', dependencyTaskIds: ['c-one'] },
        { taskId: 'c-three', prompt: 'Three', dependencyTaskIds: ['c-two'] },
        { taskId: 'c-side', prompt: 'Side (side-marker)' },
      ],
    });
    await middle.waitForRequests(1);
    const result = await harness().cli(['cancel', 'c-two']);
    expect(result.code).toBe(0);
    const cancelled = await harness().client.getTask('c-two');
    expect(cancelled.state).toBe('cancelled');
    expect(existsSync(cancelled.worktreePath!)).toBe(true);
    expect(await findCodexProcessesIn(cancelled.worktreePath!)).toEqual([]);
    expect((await harness().client.temporal.workflow.getHandle(taskWorkflowId('c-two')).describe()).status.name).toBe('CANCELLED');

    const parent = await harness().client.waitForTask('cancel-chain');
    expect(parent.state).toBe('failed');
    expect(await harness().client.getTask('c-three')).toMatchObject({ state: 'failed', failure: { code: 'TASK_GRAPH_DEPENDENCY_FAILED' } });
    expect(await stateOf('c-side')).toBe('completed');
    expect(await stateOf('c-one')).toBe('completed');
    await harness().recordHistory('task-cancelled', 'c-two');
    await harness().recordHistory('graph-child-cancelled', 'cancel-chain');
  });
});

describe('graph-level controls', () => {
  it('interrupts, resumes and cancels a whole graph from its parent id', async () => {
    const repo = await harness().makeRepo();
    const left = harness().model.script({ when: 'whole-left-marker', steps: [hang(), exec('echo l > l.txt'), say('left')] });
    const right = harness().model.script({ when: 'whole-right-marker', steps: [hang(), exec('echo r > r.txt'), say('right')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'whole', repoPath: repo, prompt: 'Whole graph control' },
      children: [
        { taskId: 'whole-left', prompt: 'Left (whole-left-marker)' },
        { taskId: 'whole-right', prompt: 'Right (whole-right-marker)' },
      ],
    });
    await Promise.all([left.waitForRequests(1), right.waitForRequests(1)]);
    const interrupted = await harness().cli(['interrupt', 'whole']);
    expect(interrupted.code).toBe(0);
    await untilState('whole-left', 'interrupted');
    await untilState('whole-right', 'interrupted');

    await harness().client.resume('whole');
    expect((await harness().client.waitForTask('whole')).state).toBe('completed');
    expect(await simpleGit(repo).show(['plato/graph-whole:r.txt'])).toBe('r\n');
    await harness().recordHistory('graph-interrupted-resumed', 'whole');

    const cancelRepo = await harness().makeRepo();
    const stuck = harness().model.script({ when: 'stuck-marker', steps: [hang(), say('never')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'to-cancel', repoPath: cancelRepo, prompt: 'Cancel me' },
      children: [
        { taskId: 'stuck', prompt: 'Stuck (stuck-marker)' },
        { taskId: 'after-stuck', prompt: 'After', dependencyTaskIds: ['stuck'] },
      ],
    });
    await stuck.waitForRequests(1);
    const cancelled = await harness().cli(['cancel', 'to-cancel']);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    expect(await stateOf('stuck')).toBe('cancelled');
    expect(['cancelled', 'failed']).toContain(await stateOf('after-stuck'));
    expect((await harness().client.temporal.workflow.getHandle(taskWorkflowId('to-cancel')).describe()).status.name).toBe('CANCELLED');
    // Cancelled as a whole, the graph reads cancelled everywhere, and says why it has no synthesis.
    expect((await harness().client.getTaskGraph('to-cancel')).state).toBe('cancelled');
    expect((await harness().cli(['graph', 'status', 'after-stuck'])).stdout).toMatch(/^graph to-cancel: cancelled\n/);
    expect((await harness().cli(['graph', 'results', 'to-cancel'])).stdout).toContain('No synthesis: the graph ended cancelled before it made one.');
    await harness().recordHistory('graph-cancelled', 'to-cancel');
  });
});

describe('cancelling a graph in its first moments', () => {
  /** 20 children ready at the start (16 go in the first wave, 4 once those starts are recorded), each stuck. */
  const stuckGraph = async (parentId: string) => {
    const children = Array.from({ length: 20 }, (_, i) => ({ taskId: `${parentId}-${i}`, prompt: `Stuck (${parentId}-marker-${i}.)` }));
    for (const [i] of children.entries()) harness().model.script({ when: `${parentId}-marker-${i}.`, steps: [hang(), say('never')] });
    return { parent: { taskId: parentId, repoPath: await harness().makeRepo(), prompt: 'Cancel at once' }, children };
  };

  /** Each child's workflow status, NOT_STARTED for one that does not exist. */
  const childStatuses = async (childIds: string[]) => {
    const statuses = new Map<string, string>();
    for (const taskId of childIds) {
      const status = await harness()
        .client.temporal.workflow.getHandle(taskWorkflowId(taskId))
        .describe()
        .then(
          (description) => description.status.name,
          () => 'NOT_STARTED',
        );
      statuses.set(taskId, status);
    }
    return statuses;
  };
  const notCancelled = (statuses: Map<string, string>) => [...statuses.values()].filter((status) => status !== 'CANCELLED' && status !== 'NOT_STARTED');

  /** The parent ended cancelled with one terminal graph event, and no child is left running. */
  const expectCancelledThrough = async (parentId: string, childIds: string[]) => {
    const parent = harness().client.temporal.workflow.getHandle(taskWorkflowId(parentId));
    await eventually(async () => (await parent.describe()).status.name === 'CANCELLED', 60_000, `${parentId} to end cancelled`);
    const events = await harness().client.listEvents(parentId);
    expect(terminalGraphEvents(events).map((event) => event.errorCode)).toEqual(['TASK_CANCELLED']);
    expect((await harness().client.getTask(parentId)).state).toBe('cancelled');
    const statuses = await childStatuses(childIds);
    expect(notCancelled(statuses)).toEqual([]);
    const history = await parent.fetchHistory();
    // Cancel requests went only to children that exist.
    expect((history.events ?? []).filter((event) => event.requestCancelExternalWorkflowExecutionFailedEventAttributes)).toEqual([]);
    const workflowId = taskWorkflowId(parentId);
    expect(await replayAll([{ workflowId, history }])).toEqual([{ workflowId, error: undefined }]);
    return statuses;
  };

  it('before its first workflow task: no child is created, and the parent ends cancelled with its events', async () => {
    const input = await stuckGraph('cancel-first');
    // The start delay holds the first workflow task back, so the cancellation is in the history before it.
    const handle = await harness().client.temporal.workflow.start('taskGraphWorkflow', {
      taskQueue: DEFAULT_TASK_QUEUE,
      workflowId: taskWorkflowId('cancel-first'),
      args: [input],
      // Long enough for the cancellation on a loaded machine; the cancellation ends the delay at once.
      startDelay: '1 minute',
    });
    await handle.cancel();
    const statuses = await expectCancelledThrough(
      'cancel-first',
      input.children.map((child) => child.taskId),
    );
    expect(new Set(statuses.values())).toEqual(new Set(['NOT_STARTED']));
    const events = await harness().client.listEvents('cancel-first');
    expect(events.filter((event) => event.type === 'task.graph.child.failed')).toHaveLength(20);
    await harness().recordHistory('graph-cancelled-before-start', 'cancel-first');
  });

  it('while its children are being started: every child ends cancelled or is never created', async () => {
    const input = await stuckGraph('cancel-starting');
    const handle = await harness().client.temporal.workflow.start('taskGraphWorkflow', {
      taskQueue: DEFAULT_TASK_QUEUE,
      workflowId: taskWorkflowId('cancel-starting'),
      args: [input],
    });
    // Cancel as soon as the first workflow task has asked for the first wave's starts.
    await eventually(
      async () => (await handle.fetchHistory()).events?.some((event) => event.startChildWorkflowExecutionInitiatedEventAttributes),
      30_000,
      'the first starts',
    );
    await handle.cancel();
    await expectCancelledThrough(
      'cancel-starting',
      input.children.map((child) => child.taskId),
    );
    // A start still pending when the cancellation was handled does not leave a child running later.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(notCancelled(await childStatuses(input.children.map((child) => child.taskId)))).toEqual([]);
  });
});

describe('a shuffled burst of interrupt and resume signals', () => {
  it('leaves the task in a consistent state, and it completes', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({
      when: 'burst-marker',
      steps: [exec('sleep 1'), exec('sleep 1'), exec('sleep 1'), exec('echo burst > burst.txt'), say('burst done'), say('extra'), say('extra')],
    });
    await harness().client.startTask({ taskId: 'burst', repoPath: repo, prompt: 'Survive the burst (burst-marker)' });
    await untilState('burst', 'running');
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    // Signalled as the plain temporal CLI would, whatever the state: the client refuses those it knows are futile.
    const handle = harness().client.temporal.workflow.getHandle(taskWorkflowId('burst'));
    for (let i = 0; i < 20; i++) {
      if (random() < 0.5) await handle.signal(interruptSignal, {});
      else await handle.signal(resumeSignal, {});
      await new Promise((resolve) => setTimeout(resolve, random() * 300));
    }
    await eventually(
      async () => {
        const state = await stateOf('burst');
        if (state === 'interrupted') await harness().client.resume('burst');
        return state === 'completed' || state === 'failed';
      },
      120_000,
      'the burst task to finish',
    );
    const task = await harness().client.getTask('burst');
    expect(task.state).toBe('completed');

    const lifecycle = (await harness().client.listEvents('burst'))
      .map((event: TaskEvent) => event.type)
      .filter((type) => type === 'task.interrupted' || type === 'task.resumed');
    lifecycle.forEach((type, i) => expect(type).toBe(i % 2 === 0 ? 'task.interrupted' : 'task.resumed'));
    expect(lifecycle.length % 2).toBe(0);
    expect(await readFile(path.join(task.worktreePath!, 'burst.txt'), 'utf8')).toBe('burst\n');
  });
});

describe('events --follow', () => {
  it('streams events as they happen until the task ends, one JSON document per line', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'follow-marker', steps: [exec('sleep 1 && echo a > a.txt'), exec('sleep 1'), say('followed')] });
    await harness().client.startTask({ taskId: 'follow-me', repoPath: repo, prompt: 'Be followed (follow-marker)' });
    const result = await harness().cli(['events', 'follow-me', '--follow', '--json']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TaskEvent);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe('task.completed');
    // The turn took over two seconds: its session events reached the workflow while it ran, in
    // batches about a second apart (the thread id among the first), not only with its result.
    const history = await historyOf(harness().client, 'follow-me');
    const signalled = signalledSessionEvents(history);
    expect(signalled.map((event) => event.type)).toEqual(expect.arrayContaining(['session.started', 'session.item']));
    const readable = await harness().cli(['events', 'follow-me', '--follow']);
    expect(readable.stdout).toMatch(/#\s+1 .* task\.queued/);
  });
});
