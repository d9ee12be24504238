import { ValidationError } from '../../src/client/errors';
import type { TaskEvent } from '../../src/contracts/events';
import type { TaskGraphResults } from '../../src/contracts/graph';
import type { TaskRecord } from '../../src/contracts/task';
import {
  toCreateTaskGraphInput,
  toOrchestrationEvent,
  toOrchestrationResults,
  toOrchestrationTask,
  toStartTaskInput,
} from '../../src/orchestration/codex-runner-agent-runtime';
import { OrchestrationEventSchema, OrchestrationTaskGraphResultSnapshotSchema, OrchestrationTaskRecordSchema } from '../../src/orchestration/contracts';

const child: TaskRecord = {
  taskId: 'child-a',
  repoPath: '/repos/app',
  prompt: 'Write the tests',
  priority: 2,
  state: 'awaiting_approval',
  parentTaskId: 'parent',
  dependencyTaskIds: ['child-0'],
  worktreePath: '/repos/app/.plato/worktrees/child-a',
  branchName: 'plato/task-child-a',
  threadId: 'thread-1',
  finalMessage: 'Tests written',
  approval: { requestedAt: '2025-01-01T00:00:00.000Z', diffStat: ' test.ts | 3 +++', finalMessage: 'Tests written' },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:01.000Z',
};

describe('the codex adapter maps the neutral contracts onto the runner', () => {
  it('sends workspacePath as repoPath and drops the agent selector', () => {
    expect(
      toStartTaskInput({ taskId: 't1', workspacePath: '/repos/app', prompt: 'Do it', priority: 3, agent: { runtimeId: 'codex' }, requireApproval: true }),
    ).toEqual({ taskId: 't1', repoPath: '/repos/app', prompt: 'Do it', priority: 3, requireApproval: true });
  });

  it('sends a workspacePath that is a git URL as repoUrl, for a task and a graph', () => {
    const url = 'git@github.com:acme/app.git';
    expect(toStartTaskInput({ taskId: 't1', workspacePath: url, prompt: 'Do it' })).toEqual({ taskId: 't1', repoUrl: url, prompt: 'Do it' });
    const graph = toCreateTaskGraphInput({
      parent: { taskId: 'p', workspacePath: url, prompt: 'Goal' },
      children: [{ taskId: 'a', prompt: 'A', workspacePath: url }],
    });
    expect(graph.parent).toEqual({ taskId: 'p', repoUrl: url, prompt: 'Goal' });
    expect(graph.children).toEqual([{ taskId: 'a', prompt: 'A', repoPath: url }]);
  });

  it('leaves a child without workspacePath to its parent repository and passes dependencies through', () => {
    const input = toCreateTaskGraphInput({
      parent: { taskId: 'p', workspacePath: '/repos/app', prompt: 'Goal' },
      children: [
        { taskId: 'a', prompt: 'A' },
        { taskId: 'b', prompt: 'B', workspacePath: '/repos/app', dependencyTaskIds: ['a'], requireApproval: true },
      ],
      maxConcurrentTasks: 2,
    });
    expect(input).toEqual({
      parent: { taskId: 'p', repoPath: '/repos/app', prompt: 'Goal' },
      children: [
        { taskId: 'a', prompt: 'A' },
        { taskId: 'b', prompt: 'B', repoPath: '/repos/app', dependencyTaskIds: ['a'], requireApproval: true },
      ],
      maxConcurrentTasks: 2,
    });
  });

  it('passes the task, parent and child context packages through', () => {
    const contextPackage = { summary: 'why', sources: [{ sourceId: 's1', kind: 'repo_file' as const, label: 'spec', uri: 'docs/spec.md' }], artifacts: [] };
    expect(toStartTaskInput({ workspacePath: '/r', prompt: 'x', contextPackage }).contextPackage).toEqual(contextPackage);
    const graph = toCreateTaskGraphInput({
      parent: { workspacePath: '/r', prompt: 'Goal', contextPackage },
      children: [{ taskId: 'a', prompt: 'A', contextPackage: { summary: 'own', sources: [], artifacts: [] } }],
    });
    expect(graph.parent.contextPackage).toEqual(contextPackage);
    expect(graph.children[0]?.contextPackage).toEqual({ summary: 'own', sources: [], artifacts: [] });
  });

  it('refuses a context package over the limits before anything starts', () => {
    const artifact = { artifactId: 'big', kind: 'file_excerpt' as const, label: 'big', mimeType: 'text/plain', content: 'x'.repeat(70 * 1024) };
    expect(() => toStartTaskInput({ workspacePath: '/r', prompt: 'x', contextPackage: { artifacts: [artifact] } })).toThrow(ValidationError);
  });

  it('refuses bad input with a ValidationError naming the field', () => {
    expect(() => toStartTaskInput({ workspacePath: '', prompt: 'x' })).toThrow(new ValidationError('workspacePath: workspacePath must not be empty'));
    expect(() => toStartTaskInput({ workspacePath: '/r', prompt: 'x', repoPath: '/r' } as never)).toThrow(/unknown field repoPath/);
  });

  it('exposes a record with workspacePath, the thread as session, the decomposition and the execution identity', () => {
    const task = toOrchestrationTask(child, 'codex-east');
    expect(task).toEqual({
      taskId: 'child-a',
      workspacePath: '/repos/app',
      prompt: 'Write the tests',
      priority: 2,
      state: 'awaiting_approval',
      worktreePath: '/repos/app/.plato/worktrees/child-a',
      activeSessionId: 'thread-1',
      decomposition: { kind: 'subtask', parentTaskId: 'parent', dependencyTaskIds: ['child-0'] },
      branchName: 'plato/task-child-a',
      finalMessage: 'Tests written',
      approval: { requestedAt: '2025-01-01T00:00:00.000Z', summary: 'Tests written', diffStat: ' test.ts | 3 +++' },
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:01.000Z',
      execution: { runtimeId: 'codex-east', backend: 'codex', backendTaskId: 'child-a' },
    });
    expect(OrchestrationTaskRecordSchema.parse(task)).toEqual(task);
    expect(task).not.toHaveProperty('repoPath');
  });

  it('copies the flat event fields, adds the execution identity, and keeps codex-only detail in metadata', () => {
    const event: TaskEvent = {
      seq: 7,
      at: '2025-01-01T00:00:02.000Z',
      type: 'session.item',
      taskId: 'child-a',
      threadId: 'thread-1',
      worktreePath: '/w',
      attempt: 1,
      item: { kind: 'command', id: 'i1', command: 'ls', status: 'completed', exitCode: 0, output: '' },
    };
    const mapped = toOrchestrationEvent(event, 'codex');
    expect(mapped).toEqual({
      seq: 7,
      at: '2025-01-01T00:00:02.000Z',
      type: 'session.item',
      taskId: 'child-a',
      runtimeId: 'codex',
      backend: 'codex',
      execution: { runtimeId: 'codex', backend: 'codex', backendTaskId: 'child-a' },
      sessionId: 'thread-1',
      worktreePath: '/w',
      metadata: { attempt: 1, item: event.item },
    });
    expect(OrchestrationEventSchema.parse(mapped)).toEqual(mapped);
  });

  it("keeps a session.output's stream and text as the reference's fields", () => {
    const event: TaskEvent = {
      seq: 8,
      at: '2025-01-01T00:00:02.500Z',
      type: 'session.output',
      taskId: 'child-a',
      attempt: 1,
      stream: 'stderr',
      message: '401 Unauthorized',
    };
    expect(toOrchestrationEvent(event, 'codex')).toMatchObject({
      type: 'session.output',
      stream: 'stderr',
      message: '401 Unauthorized',
      metadata: { attempt: 1 },
    });
  });

  it("reports a verification that could not run as the reference's failed one, its errorCode saying why", () => {
    const event: TaskEvent = {
      seq: 9,
      at: '2025-01-01T00:00:03.000Z',
      type: 'verification.failed',
      taskId: 'child-a',
      verificationId: 'child-a:verify:1',
      verificationStatus: 'errored',
      errorCode: 'TASK_VERIFICATION_ERRORED',
      message: 'npm test: not found',
    };
    expect(toOrchestrationEvent(event, 'codex')).toMatchObject({
      verificationId: 'child-a:verify:1',
      verificationStatus: 'failed',
      errorCode: 'TASK_VERIFICATION_ERRORED',
    });
    expect(toOrchestrationEvent({ ...event, type: 'verification.completed', verificationStatus: 'passed' }, 'codex').verificationStatus).toBe('passed');
  });

  it('maps worker results and the synthesis field for field, each with its execution identity', () => {
    const results: TaskGraphResults = {
      parentTaskId: 'parent',
      parentState: 'completed',
      results: [
        { resultId: 'r1', taskId: 'child-a', parentTaskId: 'parent', classification: 'completed', summary: 'done', filesChanged: ['a.ts'], commitSha: 'abc' },
      ],
      synthesis: {
        synthesisId: 's1',
        parentTaskId: 'parent',
        classification: 'completed',
        summary: '1 of 1 completed',
        childTaskCount: 1,
        resultIds: ['r1'],
        branchName: 'plato/graph-parent',
        conflicts: [],
      },
    };
    const mapped = toOrchestrationResults(results, 'codex');
    expect(OrchestrationTaskGraphResultSnapshotSchema.parse(mapped)).toEqual(mapped);
    expect(mapped.results[0]).toEqual({
      resultId: 'r1',
      taskId: 'child-a',
      parentTaskId: 'parent',
      classification: 'completed',
      summary: 'done',
      metadata: { filesChanged: ['a.ts'], commitSha: 'abc' },
      execution: { runtimeId: 'codex', backend: 'codex', backendTaskId: 'child-a' },
    });
    expect(mapped.synthesis).toMatchObject({
      synthesisId: 's1',
      childTaskCount: 1,
      resultIds: ['r1'],
      metadata: { branchName: 'plato/graph-parent', conflicts: [] },
      execution: { runtimeId: 'codex', backend: 'codex', backendTaskId: 'parent' },
    });
  });
});
