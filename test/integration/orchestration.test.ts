import { CodexRunnerAgentRuntime } from '../../src/orchestration/codex-runner-agent-runtime';
import { OrchestrationEventSchema, OrchestrationTaskRecordSchema, OrchestrationTaskStatusSchema } from '../../src/orchestration/contracts';
import { TaskOrchestrationService } from '../../src/orchestration/task-orchestration-service';
import { eventually, useRunnerHarness } from '../support/runner-harness';
import { exec, hang, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();
const codexIdentity = (taskId: string) => ({ runtimeId: 'codex', backend: 'codex', backendTaskId: taskId });

function orchestration() {
  const runtime = new CodexRunnerAgentRuntime({ client: harness().client });
  return new TaskOrchestrationService({ defaultRuntimeId: 'codex', runtimes: [runtime] });
}

describe('the orchestration service over the codex-runner adapter and the real client', () => {
  it('runs a task given by workspacePath, hands its context package to the agent, and reports records and events with the execution identity', async () => {
    const service = orchestration();
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'orch-single-marker', steps: [exec('echo hi > hi.txt'), say('single done')] });

    const started = await service.startTask({
      taskId: 'orch-single',
      workspacePath,
      prompt: 'Say hi (orch-single-marker)',
      contextPackage: { summary: 'orch-context-summary: greet politely', sources: [], artifacts: [] },
    });
    expect(started).toMatchObject({ taskId: 'orch-single', workspacePath, state: 'queued', execution: codexIdentity('orch-single') });

    const finished = await eventually(
      async () => {
        const task = await service.getTask('orch-single');
        return task?.state === 'completed' && task;
      },
      60_000,
      'orch-single to complete',
    );
    expect(OrchestrationTaskRecordSchema.parse(finished)).toEqual(finished);
    expect(finished).toMatchObject({
      workspacePath,
      finalMessage: 'single done',
      activeSessionId: expect.any(String),
      execution: codexIdentity('orch-single'),
    });
    expect(finished).not.toHaveProperty('repoPath');
    expect(harness().model.requests.some((request) => request.userText.includes('orch-context-summary: greet politely'))).toBe(true);

    const events = await service.listEvents('orch-single');
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['task.queued', 'task.started', 'task.completed']));
    for (const event of events) {
      expect(OrchestrationEventSchema.parse(event)).toEqual(event);
      expect(event).toMatchObject({ runtimeId: 'codex', backend: 'codex', execution: codexIdentity('orch-single') });
    }
    expect(await service.getTask('no-such-task')).toBeUndefined();
    expect(await service.getContextPackage('orch-single')).toEqual({
      taskId: 'orch-single',
      summary: 'orch-context-summary: greet politely',
      sources: [],
      artifacts: [],
    });
    expect(await service.getContextPackage('no-such-task')).toBeUndefined();
  });

  it('runs a graph: children in the parent workspace, results with identities, and lists by workspacePath', async () => {
    const service = orchestration();
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'orch-a-marker', steps: [exec('echo a > a.txt'), say('a done')] });
    harness().model.script({ when: 'orch-b-marker', steps: [exec('echo b > b.txt'), say('b done')] });

    const graph = await service.createTaskGraph({
      parent: { taskId: 'orch-graph', workspacePath, prompt: 'Two steps' },
      children: [
        { taskId: 'orch-a', prompt: 'A (orch-a-marker)' },
        { taskId: 'orch-b', prompt: 'B (orch-b-marker)', dependencyTaskIds: ['orch-a'] },
      ],
    });
    expect(graph.children.map((child) => [child.taskId, child.workspacePath, child.decomposition])).toEqual([
      ['orch-a', workspacePath, { kind: 'subtask', parentTaskId: 'orch-graph', dependencyTaskIds: [] }],
      ['orch-b', workspacePath, { kind: 'subtask', parentTaskId: 'orch-graph', dependencyTaskIds: ['orch-a'] }],
    ]);

    const done = await eventually(
      async () => {
        const snapshot = await service.getTaskGraph('orch-b');
        return snapshot?.parent.state === 'completed' && snapshot;
      },
      90_000,
      'orch-graph to complete',
    );
    expect(done.state).toBe('completed');
    expect(done.parent.execution).toEqual(codexIdentity('orch-graph'));

    const results = await service.getTaskGraphResults('orch-graph');
    expect(results?.results.map((result) => [result.taskId, result.classification, result.execution?.backendTaskId])).toEqual([
      ['orch-a', 'completed', 'orch-a'],
      ['orch-b', 'completed', 'orch-b'],
    ]);
    expect(results?.synthesis).toMatchObject({ classification: 'completed', childTaskCount: 2, execution: codexIdentity('orch-graph') });

    const listed = await eventually(
      async () => {
        const tasks = await service.listTasks({ workspacePath, state: 'completed' });
        return tasks.length === 3 && tasks;
      },
      30_000,
      'three completed tasks in the workspace',
    );
    expect(listed.map((task) => task.taskId).sort()).toEqual(['orch-a', 'orch-b', 'orch-graph']);

    const first = await harness().client.listTasksPage({ repoPath: workspacePath, pageSize: 2 });
    expect(first.tasks).toHaveLength(2);
    const second = await harness().client.listTasksPage({ repoPath: workspacePath, pageSize: 2, nextPageToken: first.nextPageToken! });
    expect(second).toEqual({ tasks: [expect.objectContaining({ repoPath: workspacePath, workflowStatus: 'COMPLETED' })] });
    expect([...first.tasks, ...second.tasks].map((task) => task.taskId).sort()).toEqual(['orch-a', 'orch-b', 'orch-graph']);
  });

  it('reports a task with its sessions, one per Codex turn: an interrupted turn and its resume on the same thread, a live turn left running', async () => {
    const service = orchestration();
    const workspacePath = await harness().makeRepo();
    const script = harness().model.script({ when: 'orch-status-marker', steps: [hang(), exec('echo back > back.txt'), say('done after the resume')] });
    await service.startTask({ taskId: 'orch-status', workspacePath, prompt: 'Work until interrupted (orch-status-marker)' });
    await script.waitForRequests(1);

    // Read while its turn runs: the task stays running (no reconciliation), its one session too.
    const live = await eventually(
      async () => {
        const status = await service.getTaskStatus('orch-status');
        return status?.sessions.length === 1 && status;
      },
      30_000,
      'the first session',
    );
    expect(live.task.state).toBe('running');
    expect(live.sessions).toEqual([expect.objectContaining({ state: 'running', attempt: 1, sessionId: live.task.activeSessionId })]);
    expect((await service.getTask('orch-status'))?.state).toBe('running');

    await service.interruptTask('orch-status', { reason: 'a word' });
    await eventually(async () => (await service.getTaskStatus('orch-status'))?.sessions[0]?.state === 'interrupted', 30_000, 'the aborted turn');
    await service.resumeTask('orch-status', { message: 'Write back.txt now' });
    await harness().client.waitForTask('orch-status');

    const status = await service.getTaskStatus('orch-status');
    expect(OrchestrationTaskStatusSchema.parse(status)).toEqual(status);
    expect(status?.task).toMatchObject({ state: 'completed', execution: codexIdentity('orch-status') });
    const thread = status?.task.activeSessionId;
    expect(thread).toEqual(expect.any(String));
    expect(status?.sessions).toEqual([
      expect.objectContaining({ sessionId: thread, attempt: 1, state: 'interrupted', exitCode: null, worktreePath: status?.task.worktreePath }),
      expect.objectContaining({ sessionId: thread, attempt: 1, state: 'completed', exitCode: 0, execution: codexIdentity('orch-status') }),
    ]);
    const [first, second] = status!.sessions;
    expect(Date.parse(first!.startedAt)).toBeLessThanOrEqual(Date.parse(first!.endedAt!));
    expect(Date.parse(first!.endedAt!)).toBeLessThanOrEqual(Date.parse(second!.startedAt));
    // The resumed turn has a start of its own (its session.started), before it ran a command and ended.
    expect(Date.parse(second!.startedAt)).toBeLessThan(Date.parse(second!.endedAt!));
    expect(await service.getTaskStatus('no-such-task')).toBeUndefined();
  });

  it('passes the runner typed errors through', async () => {
    const service = orchestration();
    await expect(service.startTask({ workspacePath: '/definitely/not/a/repo', prompt: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(service.interruptTask('orch-single')).rejects.toMatchObject({ code: 'TASK_WRONG_STATE' });
    await expect(service.approveTaskAction('orch-single')).rejects.toMatchObject({ code: 'TASK_WRONG_STATE' });
  });

  it("adds a subtask to a running graph through the reference's subtask decomposition, and lists it", async () => {
    const service = orchestration();
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'orch-plan-step', steps: [exec('echo plan > plan.txt'), say('planned')] });
    harness().model.script({ when: 'orch-build-step', steps: [exec('cat plan.txt > build.txt'), say('built')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'orch-open', repoPath: workspacePath, prompt: 'Plan, then build' },
      children: [{ taskId: 'orch-plan', prompt: 'Plan (orch-plan-step)' }],
      open: true,
    });
    const subtask = await service.startTask({
      taskId: 'orch-build',
      workspacePath,
      prompt: 'Build from the plan (orch-build-step)',
      decomposition: { kind: 'subtask', parentTaskId: 'orch-open', dependencyTaskIds: ['orch-plan'] },
    });
    expect(subtask).toMatchObject({ taskId: 'orch-build', decomposition: { kind: 'subtask', parentTaskId: 'orch-open', dependencyTaskIds: ['orch-plan'] } });
    expect((await service.listSubtasks('orch-open')).map((task) => task.taskId)).toEqual(['orch-plan', 'orch-build']);
    await eventually(async () => (await service.getTask('orch-build'))?.state === 'completed', 60_000, 'the subtask');
    await harness().client.closeGraph('orch-open');
    expect((await harness().client.waitForTask('orch-open')).state).toBe('completed');
  });
});
