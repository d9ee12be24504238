import { randomUUID } from 'node:crypto';
import type {
  AgentRuntime,
  AgentRuntimeSelector,
  CreateOrchestrationGraphChildRequest,
  CreateOrchestrationGraphRequest,
  OrchestrationContextPackageInput,
  OrchestrationContextPackageRecord,
  OrchestrationContextPackageRequest,
  OrchestrationApprovalOptions,
  OrchestrationEvent,
  OrchestrationTaskDiff,
  OrchestrationTaskGraphResultSnapshot,
  OrchestrationTaskGraphSnapshot,
  OrchestrationTaskListFilter,
  OrchestrationTaskRecord,
  OrchestrationTaskStatus,
  StartOrchestrationTaskRequest,
} from './contracts';
import { AgentRuntimeNotRegisteredError, AgentRuntimeUnsupportedError } from './errors';

/**
 * A runtime selector widened with a call's own options: `{ runtimeId }` where the reference takes
 * a selector, so a reference call compiles unchanged, and codex-runner's options beside it.
 */
export type WithRuntime<T = object> = Partial<AgentRuntimeSelector> & T;

/** The methods a runtime may lack. */
type OptionalCapability = {
  [K in keyof AgentRuntime]-?: undefined extends AgentRuntime[K] ? K : never;
}[keyof AgentRuntime];

/** A task or child as a runtime receives it: a context package with both of the reference's lists (empty when left out). */
function withContextLists<T extends { contextPackage?: OrchestrationContextPackageRequest | undefined }>(
  task: T,
): Omit<T, 'contextPackage'> & { contextPackage?: OrchestrationContextPackageInput } {
  const { contextPackage, ...rest } = task;
  if (contextPackage === undefined) return rest;
  return { ...rest, contextPackage: { ...contextPackage, sources: contextPackage.sources ?? [], artifacts: contextPackage.artifacts ?? [] } };
}

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

  /** Starts a task on `input.agent`'s runtime, else the default one; a task without an id gets a new UUID. */
  async startTask(input: StartOrchestrationTaskRequest): Promise<OrchestrationTaskRecord> {
    const runtime = this.runtime(input.agent?.runtimeId ?? this.defaultRuntimeId);
    return this.remember(await runtime.startTask({ ...withContextLists(input), taskId: input.taskId ?? randomUUID() }));
  }

  /** Starts a graph on `input.parent.agent`'s runtime, else the default one; every task of it is remembered. A parent without an id gets a new UUID. */
  async createTaskGraph(input: CreateOrchestrationGraphRequest): Promise<OrchestrationTaskGraphSnapshot> {
    const runtime = this.runtime(input.parent.agent?.runtimeId ?? this.defaultRuntimeId);
    const parent = { ...withContextLists(input.parent), taskId: input.parent.taskId ?? randomUUID() };
    return this.rememberGraph(await runtime.createTaskGraph({ ...input, parent, children: input.children.map(withContextLists) }));
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

  /**
   * The task and its sessions, one per turn, from the runtime that owns it (undefined when none
   * knows it); read as it is: a live task is not reconciled.
   * @throws AgentRuntimeUnsupportedError when the owning runtime does not report sessions.
   */
  async getTaskStatus(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskStatus | undefined> {
    const status = await (await this.capability(taskId, selector?.runtimeId, 'getTaskStatus', 'task status'))(taskId);
    if (status) this.remember(status.task);
    return status;
  }

  /**
   * The context package the task was started with, from the runtime that owns it; undefined when
   * it has none or no runtime knows the task.
   * @throws AgentRuntimeUnsupportedError when the owning runtime does not keep context packages.
   */
  async getContextPackage(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationContextPackageRecord | undefined> {
    return (await this.capability(taskId, selector?.runtimeId, 'getContextPackage', 'context packages'))(taskId);
  }

  /** The graph's results, or undefined when the owning runtime does not collect results. */
  async getTaskGraphResults(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskGraphResultSnapshot | undefined> {
    const runtime = await this.owner(taskId, selector?.runtimeId);
    return runtime.getTaskGraphResults?.(taskId);
  }

  /** Tasks of the selected runtime, or of every runtime in registration order (concatenated), that match the filter. */
  async listTasks({ runtimeId, ...filter }: WithRuntime<OrchestrationTaskListFilter> = {}): Promise<OrchestrationTaskRecord[]> {
    const runtimes = runtimeId !== undefined ? [this.runtime(runtimeId)] : this.listRuntimes();
    const lists = await Promise.all(runtimes.map((runtime) => runtime.listTasks(filter)));
    return lists.flat().map((task) => this.remember(task));
  }

  /** The task's events, those after `afterSeq` when it is given. */
  async listEvents(taskId: string, { runtimeId, ...options }: WithRuntime<{ afterSeq?: number }> = {}): Promise<OrchestrationEvent[]> {
    return (await this.owner(taskId, runtimeId)).listEvents(taskId, options);
  }

  async interruptTask(taskId: string, { runtimeId, ...options }: WithRuntime<{ reason?: string }> = {}): Promise<void> {
    await (await this.owner(taskId, runtimeId)).interruptTask(taskId, options);
  }

  async resumeTask(taskId: string, { runtimeId, ...options }: WithRuntime<{ message?: string }> = {}): Promise<OrchestrationTaskRecord> {
    return this.remember(await (await this.owner(taskId, runtimeId)).resumeTask(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no approval. */
  async approveTaskAction(taskId: string, { runtimeId, ...options }: WithRuntime<OrchestrationApprovalOptions> = {}): Promise<OrchestrationTaskRecord> {
    const approve = await this.capability(taskId, runtimeId, 'approveTaskAction', 'approval');
    return this.remember(await approve(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no approval rejection. */
  async rejectTaskAction(
    taskId: string,
    reason: string,
    { runtimeId, ...options }: WithRuntime<Pick<OrchestrationApprovalOptions, 'by'>> = {},
  ): Promise<OrchestrationTaskRecord> {
    const reject = await this.capability(taskId, runtimeId, 'rejectTaskAction', 'approval rejection');
    return this.remember(await reject(taskId, reason, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot cancel. */
  async cancelTask(taskId: string, selector?: AgentRuntimeSelector): Promise<void> {
    const cancel = await this.capability(taskId, selector?.runtimeId, 'cancelTask', 'cancel');
    await cancel(taskId);
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime has no change requests. */
  async requestTaskChanges(
    taskId: string,
    message: string,
    { runtimeId, ...options }: WithRuntime<Pick<OrchestrationApprovalOptions, 'by'>> = {},
  ): Promise<OrchestrationTaskRecord> {
    const requestChanges = await this.capability(taskId, runtimeId, 'requestTaskChanges', 'approval');
    return this.remember(await requestChanges(taskId, message, options));
  }

  /** Adds children to a running graph, on the runtime that owns it. @throws AgentRuntimeUnsupportedError when it takes no subtasks. */
  async addSubtasks(
    parentTaskId: string,
    children: CreateOrchestrationGraphChildRequest[],
    selector?: AgentRuntimeSelector,
  ): Promise<OrchestrationTaskGraphSnapshot> {
    const add = await this.capability(parentTaskId, selector?.runtimeId, 'addSubtasks', 'subtasks');
    return this.rememberGraph(await add(parentTaskId, children.map(withContextLists)));
  }

  /** A graph's children, the subtasks added while it ran among them. @throws AgentRuntimeUnsupportedError when the runtime has no subtasks. */
  async listSubtasks(parentTaskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord[]> {
    const list = await this.capability(parentTaskId, selector?.runtimeId, 'listSubtasks', 'subtasks');
    return (await list(parentTaskId)).map((task) => this.remember(task));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot retry a task. */
  async retryTask(taskId: string, { runtimeId, ...options }: WithRuntime<{ message?: string }> = {}): Promise<OrchestrationTaskRecord> {
    const retry = await this.capability(taskId, runtimeId, 'retryTask', 'retry');
    return this.remember(await retry(taskId, options));
  }

  /** @throws AgentRuntimeUnsupportedError when the owning runtime cannot show a task's diff. */
  async getTaskDiff(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskDiff> {
    return (await this.capability(taskId, selector?.runtimeId, 'getTaskDiff', 'diff'))(taskId);
  }

  /**
   * The optional method `method` of the runtime a call on `taskId` goes to, bound to it.
   * @throws AgentRuntimeUnsupportedError (naming `capability`) when that runtime lacks it.
   */
  private async capability<K extends OptionalCapability>(
    taskId: string,
    runtimeId: string | undefined,
    method: K,
    capability: string,
  ): Promise<NonNullable<AgentRuntime[K]>> {
    const runtime = await this.owner(taskId, runtimeId);
    const call = runtime[method];
    if (call === undefined) throw new AgentRuntimeUnsupportedError(runtime.runtimeId, capability);
    return (call as (...args: unknown[]) => unknown).bind(runtime) as NonNullable<AgentRuntime[K]>;
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

  /** The runtime a command on `taskId` goes to: the selected one; else its owner; else the default one (it then reports the task missing). */
  private async owner(taskId: string, runtimeId: string | undefined): Promise<AgentRuntime> {
    if (runtimeId !== undefined) return this.runtime(runtimeId);
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
