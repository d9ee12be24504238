import type {
  AgentRuntime,
  AgentRuntimeSelector,
  CreateOrchestrationGraphInput,
  OrchestrationApprovalOptions,
  OrchestrationEvent,
  OrchestrationTaskGraphResultSnapshot,
  OrchestrationTaskGraphSnapshot,
  OrchestrationTaskListFilter,
  CreateOrchestrationGraphChildInput,
  OrchestrationTaskDiff,
  OrchestrationTaskRecord,
  StartOrchestrationTaskInput,
} from './contracts';
import { AgentRuntimeNotRegisteredError, AgentRuntimeUnsupportedError } from './errors';

export interface TaskOrchestrationServiceOptions {
  /** The runtime that starts tasks no selector names, and answers for tasks no runtime knows. */
  defaultRuntimeId: string;
  runtimes: readonly AgentRuntime[];
}

/**
 * Routes every orchestration call to the agent runtime that owns the task (the reference's
 * `TaskOrchestrationService`). It remembers which runtime returned each task it has seen; a
 * task it has not seen (started by another process, or before a restart) is looked up in every
 * runtime, in registration order, and the first that knows it wins. A selector overrides both.
 */
export class TaskOrchestrationService {
  private readonly runtimes = new Map<string, AgentRuntime>();
  private readonly owners = new Map<string, string>();
  private readonly defaultRuntimeId: string;

  /** @throws AgentRuntimeNotRegisteredError when `defaultRuntimeId` is not among `runtimes`. */
  constructor(options: TaskOrchestrationServiceOptions) {
    for (const runtime of options.runtimes) this.runtimes.set(runtime.runtimeId, runtime);
    if (!this.runtimes.has(options.defaultRuntimeId)) {
      throw new AgentRuntimeNotRegisteredError(options.defaultRuntimeId, [...this.runtimes.keys()], 'Default agent runtime');
    }
    this.defaultRuntimeId = options.defaultRuntimeId;
  }

  listRuntimes(): AgentRuntime[] {
    return [...this.runtimes.values()];
  }

  /** Starts a task on `input.agent`'s runtime, else the default one. */
  async startTask(input: StartOrchestrationTaskInput): Promise<OrchestrationTaskRecord> {
    return this.remember(await this.runtime(input.agent?.runtimeId ?? this.defaultRuntimeId).startTask(input));
  }

  /** Starts a graph on `input.parent.agent`'s runtime, else the default one; every task of it is remembered. */
  async createTaskGraph(input: CreateOrchestrationGraphInput): Promise<OrchestrationTaskGraphSnapshot> {
    return this.rememberGraph(await this.runtime(input.parent.agent?.runtimeId ?? this.defaultRuntimeId).createTaskGraph(input));
  }

  /** The task from the selected runtime, else the one known to own it, else the first runtime that has it. */
  async getTask(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord | undefined> {
    return this.find(taskId, selector, async (runtime) => {
      const task = await runtime.getTask(taskId);
      return task && this.remember(task);
    });
  }

  /** The graph a task belongs to, found the way {@link getTask} finds a task. */
  async getTaskGraph(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskGraphSnapshot | undefined> {
    return this.find(taskId, selector, async (runtime) => {
      const graph = await runtime.getTaskGraph(taskId);
      return graph && this.rememberGraph(graph);
    });
  }

  /** The graph's results, or undefined when the owning runtime does not collect results. */
  async getTaskGraphResults(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskGraphResultSnapshot | undefined> {
    const runtime = await this.owner(taskId, selector);
    return runtime.getTaskGraphResults?.(taskId);
  }

  /** Tasks of one runtime, or of every runtime in registration order (concatenated). */
  async listTasks(filter: OrchestrationTaskListFilter = {}, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord[]> {
    const runtimes = selector ? [this.runtime(selector.runtimeId)] : this.listRuntimes();
    const lists = await Promise.all(runtimes.map((runtime) => runtime.listTasks(filter)));
    return lists.flat().map((task) => this.remember(task));
  }

  async listEvents(taskId: string, options: { afterSeq?: number } = {}, selector?: AgentRuntimeSelector): Promise<OrchestrationEvent[]> {
    return (await this.owner(taskId, selector)).listEvents(taskId, options);
  }

  async interruptTask(taskId: string, options: { reason?: string } = {}, selector?: AgentRuntimeSelector): Promise<void> {
    await (await this.owner(taskId, selector)).interruptTask(taskId, options);
  }

  async resumeTask(taskId: string, options: { message?: string } = {}, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord> {
    return this.remember(await (await this.owner(taskId, selector)).resumeTask(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no approval. */
  async approveTaskAction(taskId: string, options: OrchestrationApprovalOptions = {}, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.approveTaskAction) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'approval');
    return this.remember(await runtime.approveTaskAction(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot cancel. */
  async cancelTask(taskId: string, selector?: AgentRuntimeSelector): Promise<void> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.cancelTask) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'cancel');
    await runtime.cancelTask(taskId);
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no change requests. */
  async requestTaskChanges(
    taskId: string,
    message: string,
    options: Pick<OrchestrationApprovalOptions, 'by'> = {},
    selector?: AgentRuntimeSelector,
  ): Promise<OrchestrationTaskRecord> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.requestTaskChanges) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'approval');
    return this.remember(await runtime.requestTaskChanges(taskId, message, options));
  }

  /** Adds children to a running graph, on the runtime that owns it. @throws AgentRuntimeUnsupportedError when it takes no subtasks. */
  async addSubtasks(
    parentTaskId: string,
    children: CreateOrchestrationGraphChildInput[],
    selector?: AgentRuntimeSelector,
  ): Promise<OrchestrationTaskGraphSnapshot> {
    const runtime = await this.owner(parentTaskId, selector);
    if (!runtime.addSubtasks) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'subtasks');
    return this.rememberGraph(await runtime.addSubtasks(parentTaskId, children));
  }

  /** A graph's children, the subtasks added while it ran among them. @throws AgentRuntimeUnsupportedError when the runtime has no subtasks. */
  async listSubtasks(parentTaskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord[]> {
    const runtime = await this.owner(parentTaskId, selector);
    if (!runtime.listSubtasks) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'subtasks');
    return (await runtime.listSubtasks(parentTaskId)).map((task) => this.remember(task));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot retry a task. */
  async retryTask(taskId: string, options: { message?: string } = {}, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.retryTask) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'retry');
    return this.remember(await runtime.retryTask(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot show a task's diff. */
  async getTaskDiff(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskDiff> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.getTaskDiff) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'diff');
    return runtime.getTaskDiff(taskId);
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no approval rejection. */
  async rejectTaskAction(
    taskId: string,
    reason: string,
    options: Pick<OrchestrationApprovalOptions, 'by'> = {},
    selector?: AgentRuntimeSelector,
  ): Promise<OrchestrationTaskRecord> {
    const runtime = await this.owner(taskId, selector);
    if (!runtime.rejectTaskAction) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, 'approval rejection');
    return this.remember(await runtime.rejectTaskAction(taskId, reason, options));
  }

  /** @throws AgentRuntimeNotRegisteredError for an unknown id. */
  private runtime(runtimeId: string): AgentRuntime {
    const runtime = this.runtimes.get(runtimeId);
    if (!runtime) throw new AgentRuntimeNotRegisteredError(runtimeId, [...this.runtimes.keys()]);
    return runtime;
  }

  /** Asks the selected runtime only; else the known owner first, then every other runtime in registration order. */
  private async find<T>(
    taskId: string,
    selector: AgentRuntimeSelector | undefined,
    ask: (runtime: AgentRuntime) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    if (selector) return ask(this.runtime(selector.runtimeId));
    const known = this.owners.get(taskId);
    const order = [...this.runtimes.values()].sort((a, b) => Number(b.runtimeId === known) - Number(a.runtimeId === known));
    for (const runtime of order) {
      const found = await ask(runtime);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The runtime a command on `taskId` goes to; the default one when no runtime knows the task (it then reports it missing). */
  private async owner(taskId: string, selector: AgentRuntimeSelector | undefined): Promise<AgentRuntime> {
    if (selector) return this.runtime(selector.runtimeId);
    const known = this.owners.get(taskId);
    if (known) return this.runtime(known);
    const task = await this.getTask(taskId);
    return this.runtime(task?.execution.runtimeId ?? this.defaultRuntimeId);
  }

  private remember<T extends OrchestrationTaskRecord>(task: T): T {
    if (this.runtimes.has(task.execution.runtimeId)) this.owners.set(task.taskId, task.execution.runtimeId);
    return task;
  }

  private rememberGraph(graph: OrchestrationTaskGraphSnapshot): OrchestrationTaskGraphSnapshot {
    for (const task of [graph.parent, ...graph.children]) this.remember(task);
    return graph;
  }
}
