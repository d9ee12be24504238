import type { AgentRuntime } from '../../src/orchestration/contracts';
import type { OrchestrationTaskRecord, StartOrchestrationTaskInput } from '../../src/orchestration/contracts';
import { AgentRuntimeNotRegisteredError, AgentRuntimeUnsupportedError } from '../../src/orchestration/errors';
import { TaskOrchestrationService } from '../../src/orchestration/task-orchestration-service';

/** An in-memory runtime that records which calls reached it. */
class FakeRuntime implements AgentRuntime {
  readonly backend = 'fake';
  readonly tasks = new Map<string, OrchestrationTaskRecord>();
  readonly calls: string[] = [];
  /** What the runtime was handed, call by call. */
  readonly received: unknown[] = [];

  constructor(readonly runtimeId: string) {}

  record(taskId: string, extra: Partial<OrchestrationTaskRecord> = {}): OrchestrationTaskRecord {
    const task: OrchestrationTaskRecord = {
      taskId,
      workspacePath: '/w',
      prompt: 'p',
      priority: 0,
      state: 'queued',
      createdAt: 'now',
      updatedAt: 'now',
      execution: { runtimeId: this.runtimeId, backend: this.backend, backendTaskId: taskId },
      ...extra,
    };
    this.tasks.set(taskId, task);
    return task;
  }

  startTask(input: StartOrchestrationTaskInput) {
    this.calls.push(`startTask ${input.taskId}`);
    this.received.push(input);
    return Promise.resolve(this.record(input.taskId));
  }
  createTaskGraph() {
    this.calls.push('createTaskGraph');
    const parent = this.record('graph-parent');
    const child = this.record('graph-child', { decomposition: { kind: 'subtask', parentTaskId: 'graph-parent' } });
    return Promise.resolve({ parent, children: [child], dependencies: { 'graph-child': [] }, state: 'queued' as const });
  }
  getTask(taskId: string) {
    this.calls.push(`getTask ${taskId}`);
    return Promise.resolve(this.tasks.get(taskId));
  }
  getTaskGraph(taskId: string) {
    const task = this.tasks.get(taskId);
    return Promise.resolve(task && { parent: task, children: [], dependencies: {}, state: task.state === 'cancelled' ? ('failed' as const) : task.state });
  }
  listTasks() {
    return Promise.resolve([...this.tasks.values()]);
  }
  listEvents(taskId: string, options?: { afterSeq?: number }) {
    this.calls.push(`listEvents ${taskId}`);
    this.received.push(options);
    return Promise.resolve([]);
  }
  interruptTask(taskId: string) {
    this.calls.push(`interruptTask ${taskId}`);
    return Promise.resolve();
  }
  resumeTask(taskId: string) {
    this.calls.push(`resumeTask ${taskId}`);
    return Promise.resolve(this.record(taskId, { state: 'running' }));
  }
}

class ApprovingRuntime extends FakeRuntime {
  approveTaskAction(taskId: string) {
    this.calls.push(`approveTaskAction ${taskId}`);
    return Promise.resolve(this.record(taskId, { state: 'completed' }));
  }
}

function setup() {
  const first = new ApprovingRuntime('first');
  const second = new FakeRuntime('second');
  const service = new TaskOrchestrationService({ defaultRuntimeId: 'first', runtimes: [first, second] });
  return { first, second, service };
}

describe('TaskOrchestrationService routes each call to the runtime that owns the task', () => {
  it('refuses a default runtime that is not registered', () => {
    expect(() => new TaskOrchestrationService({ defaultRuntimeId: 'nope', runtimes: [new FakeRuntime('first')] })).toThrow(
      new AgentRuntimeNotRegisteredError('nope', ['first'], 'Default agent runtime'),
    );
  });

  it('starts on the selected runtime, else the default, and refuses an unknown one', async () => {
    const { first, second, service } = setup();
    await service.startTask({ taskId: 'a', workspacePath: '/w', prompt: 'p' });
    await service.startTask({ taskId: 'b', workspacePath: '/w', prompt: 'p', agent: { runtimeId: 'second' } });
    expect(first.calls).toEqual(['startTask a']);
    expect(second.calls).toEqual(['startTask b']);
    await expect(service.startTask({ workspacePath: '/w', prompt: 'p', agent: { runtimeId: 'third' } })).rejects.toThrow(
      "Agent runtime 'third' is not registered (registered: first, second)",
    );
  });

  it('gives a task without an id a new one, and a context package both lists, before a runtime sees it', async () => {
    const { first, service } = setup();
    const task = await service.startTask({ workspacePath: '/w', prompt: 'p', contextPackage: { summary: 'why' } });
    expect(task.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.received).toEqual([{ taskId: task.taskId, workspacePath: '/w', prompt: 'p', contextPackage: { summary: 'why', sources: [], artifacts: [] } }]);
  });

  it("takes the selector where the reference's methods take it, with codex-runner's options beside it, and hands the runtime only the options", async () => {
    const { first, second, service } = setup();
    second.record('b');
    await service.listEvents('b', { runtimeId: 'second', afterSeq: 3 });
    await service.listEvents('b', { runtimeId: 'second' });
    expect(second.calls).toEqual(['listEvents b', 'listEvents b']);
    expect(second.received).toEqual([{ afterSeq: 3 }, {}]);
    expect(first.calls).toEqual([]);
  });

  it('remembers the runtime that created a task and sends its commands there without asking the others', async () => {
    const { first, second, service } = setup();
    await service.startTask({ taskId: 'b', workspacePath: '/w', prompt: 'p', agent: { runtimeId: 'second' } });
    await service.interruptTask('b');
    await service.resumeTask('b');
    await service.listEvents('b');
    expect(second.calls).toEqual(['startTask b', 'interruptTask b', 'resumeTask b', 'listEvents b']);
    expect(first.calls).toEqual([]);
  });

  it('remembers every task of a graph it created', async () => {
    const { first, second, service } = setup();
    await service.createTaskGraph({ parent: { workspacePath: '/w', prompt: 'p', agent: { runtimeId: 'second' } }, children: [] });
    await service.interruptTask('graph-child');
    expect(second.calls).toEqual(['createTaskGraph', 'interruptTask graph-child']);
    expect(first.calls).toEqual([]);
  });

  it('finds a task it has not seen by asking each runtime in registration order, then remembers it', async () => {
    const { first, second, service } = setup();
    second.record('elsewhere');
    expect((await service.getTask('elsewhere'))?.execution.runtimeId).toBe('second');
    expect(first.calls).toEqual(['getTask elsewhere']);
    await service.resumeTask('elsewhere');
    expect(first.calls).toEqual(['getTask elsewhere']);
    expect(second.calls).toEqual(['getTask elsewhere', 'resumeTask elsewhere']);
  });

  it('asks only the selected runtime when a selector is given, and returns undefined when nobody has the task', async () => {
    const { second, service } = setup();
    second.record('x');
    expect(await service.getTask('x', { runtimeId: 'first' })).toBeUndefined();
    expect(second.calls).toEqual([]);
    expect(await service.getTask('missing')).toBeUndefined();
    expect(await service.getTaskGraph('missing')).toBeUndefined();
  });

  it('sends a command on a task nobody knows to the default runtime', async () => {
    const { first, service } = setup();
    await service.interruptTask('ghost');
    expect(first.calls).toEqual(['getTask ghost', 'interruptTask ghost']);
  });

  it('lists one runtime or all of them in registration order', async () => {
    const { first, second, service } = setup();
    first.record('a');
    second.record('b');
    second.record('a');
    expect((await service.listTasks()).map((task) => `${task.execution.runtimeId}:${task.taskId}`)).toEqual(['first:a', 'second:b', 'second:a']);
    expect((await service.listTasks({ runtimeId: 'second' })).map((task) => task.taskId)).toEqual(['b', 'a']);
  });

  it('approves through the owning runtime, and says so when that runtime has no approval', async () => {
    const { first, second, service } = setup();
    first.record('gated', { state: 'awaiting_approval' });
    second.record('plain', { state: 'awaiting_approval' });
    expect((await service.approveTaskAction('gated')).state).toBe('completed');
    await expect(service.approveTaskAction('plain')).rejects.toThrow(new AgentRuntimeUnsupportedError('second', 'approval'));
    await expect(service.rejectTaskAction('gated', 'no')).rejects.toThrow("Agent runtime 'first' does not support approval rejection");
    expect(await service.getTaskGraphResults('plain')).toBeUndefined();
  });
});
