/**
 * Code written against the reference's `@plato/orchestration` interfaces, the way Plato's own code
 * uses them: a backend implementing `AgentRuntime` with the reference's records only, a client
 * interface with the reference's `TaskOrchestrationService` signatures (Plato's CLI and MCP server
 * take one), calls with the reference's argument shapes, and readers of every `OrchestrationEvent`
 * field. It is not run: `npm run typecheck` compiles it against the package's entry
 * (`src/index.ts`), and `npm run test:package` compiles it again against the packed tarball's
 * declarations. A change that breaks a Plato caller fails there.
 */
/* eslint-disable @typescript-eslint/require-await -- written as the reference's runtimes are: async methods over in-memory state */
import {
  CodexRunnerAgentRuntime,
  CodexRunnerClient,
  TaskOrchestrationService,
  type AgentRuntime,
  type AgentRuntimeSelector,
  type CreateOrchestrationGraphChildInput,
  type CreateOrchestrationGraphInput,
  type OrchestrationContextArtifact,
  type OrchestrationContextPackageInput,
  type OrchestrationContextSource,
  type OrchestrationEvent,
  type OrchestrationGraphState,
  type OrchestrationResultClassification,
  type OrchestrationSynthesisRecord,
  type OrchestrationTaskDecomposition,
  type OrchestrationTaskExecution,
  type OrchestrationTaskGraphResultSnapshot,
  type OrchestrationTaskGraphSnapshot,
  type OrchestrationTaskRecord,
  type OrchestrationTaskResultRecord,
  type OrchestrationTaskState,
  type StartOrchestrationTaskInput,
  type TaskOrchestrationServiceOptions,
} from '../../src/index';

/** `A` and `B` are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function same<A, B>(proof: Same<A, B>): void {
  void proof;
}

// The reference's field types, exactly, where a Plato caller switches over or narrows them.
same<OrchestrationEvent['stream'], 'stdout' | 'stderr' | undefined>(true);
same<OrchestrationEvent['exitCode'], number | null | undefined>(true);
same<OrchestrationEvent['verificationStatus'], 'passed' | 'failed' | undefined>(true);
same<OrchestrationEvent['recoveredState'], 'interrupted' | 'failed' | 'completed' | undefined>(true);
same<OrchestrationEvent['graphState'], OrchestrationGraphState | undefined>(true);
same<OrchestrationEvent['resultClassification'], OrchestrationResultClassification | undefined>(true);
same<OrchestrationResultClassification, 'completed' | 'partial' | 'conflicted' | 'failed'>(true);
same<OrchestrationTaskDecomposition['kind'], 'subtask'>(true);
same<OrchestrationContextSource['kind'], 'repo_file' | 'git_diff' | 'task_brief' | 'session_summary'>(true);
same<OrchestrationContextArtifact['kind'], 'summary' | 'file_excerpt' | 'patch'>(true);
same<StartOrchestrationTaskInput['taskId'], string>(true);
same<CreateOrchestrationGraphInput['parent']['taskId'], string>(true);
same<TaskOrchestrationServiceOptions['defaultRuntimeId'], string>(true);

/** Plato's CLI and MCP server take "an orchestration client" with the reference service's signatures. */
export interface OrchestrationClient {
  startTask(input: StartOrchestrationTaskInput): Promise<OrchestrationTaskRecord>;
  createTaskGraph(input: CreateOrchestrationGraphInput): Promise<OrchestrationTaskGraphSnapshot>;
  getTask(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord | undefined>;
  getTaskGraph(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskGraphSnapshot | undefined>;
  getTaskGraphResults(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskGraphResultSnapshot | undefined>;
  listTasks(selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord[]>;
  listEvents(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationEvent[]>;
  interruptTask(taskId: string, selector?: AgentRuntimeSelector): Promise<void>;
  resumeTask(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord>;
  approveTaskAction(taskId: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord>;
  rejectTaskAction(taskId: string, reason: string, selector?: AgentRuntimeSelector): Promise<OrchestrationTaskRecord>;
}

/** Another backend, written with the reference's records only (no codex-runner field). */
export class HermesAgentRuntime implements AgentRuntime {
  readonly tasks = new Map<string, OrchestrationTaskRecord>();
  readonly events: OrchestrationEvent[] = [];
  readonly results: OrchestrationTaskResultRecord[] = [];
  synthesis: OrchestrationSynthesisRecord | undefined;

  constructor(
    readonly runtimeId: string,
    readonly backend: string,
  ) {}

  async startTask(input: StartOrchestrationTaskInput): Promise<OrchestrationTaskRecord> {
    const task = this.buildTask(input);
    this.tasks.set(task.taskId, task);
    this.record({ taskId: input.taskId, type: 'task.queued' });
    if (input.contextPackage) this.record({ taskId: input.taskId, type: 'task.context', message: describeContext(input.contextPackage) });
    return task;
  }

  async createTaskGraph(input: CreateOrchestrationGraphInput): Promise<OrchestrationTaskGraphSnapshot> {
    const parent = this.buildTask(input.parent);
    const children = input.children.map((child: CreateOrchestrationGraphChildInput) => ({
      ...this.buildTask({
        taskId: child.taskId,
        workspacePath: child.workspacePath ?? input.parent.workspacePath,
        prompt: child.prompt,
        priority: child.priority,
      }),
      decomposition: { kind: 'subtask' as const, parentTaskId: parent.taskId, dependencyTaskIds: child.dependencyTaskIds },
    }));
    for (const task of [parent, ...children]) this.tasks.set(task.taskId, task);
    this.record({ taskId: parent.taskId, type: 'task.graph.created', graphState: 'queued', message: `Created task graph with ${children.length} child tasks` });
    return { parent, children, state: 'queued' };
  }

  async getTask(taskId: string): Promise<OrchestrationTaskRecord | undefined> {
    return this.tasks.get(taskId);
  }

  async getTaskGraph(taskId: string): Promise<OrchestrationTaskGraphSnapshot | undefined> {
    const task = this.tasks.get(taskId);
    if (!task) return undefined;
    const parentId = task.decomposition?.parentTaskId ?? taskId;
    const parent = this.tasks.get(parentId);
    if (!parent) return undefined;
    const children = [...this.tasks.values()].filter((candidate) => candidate.decomposition?.parentTaskId === parentId);
    const state: OrchestrationGraphState = children.some((child) => child.state === 'failed') ? 'failed' : 'running';
    return { parent, children, state };
  }

  async getTaskGraphResults(taskId: string): Promise<OrchestrationTaskGraphResultSnapshot | undefined> {
    return { parentTaskId: taskId, results: this.results, synthesis: this.synthesis };
  }

  async listTasks(): Promise<OrchestrationTaskRecord[]> {
    return [...this.tasks.values()];
  }

  async listEvents(taskId: string): Promise<OrchestrationEvent[]> {
    return this.events.filter((event) => event.taskId === taskId);
  }

  async interruptTask(taskId: string): Promise<void> {
    this.transition(taskId, 'interrupted');
    this.record({ taskId, type: 'task.interrupted', worktreePath: this.tasks.get(taskId)?.worktreePath });
  }

  async resumeTask(taskId: string): Promise<OrchestrationTaskRecord> {
    return this.transition(taskId, 'running');
  }

  async approveTaskAction(taskId: string): Promise<OrchestrationTaskRecord> {
    this.record({ taskId, type: 'task.approval.granted', approvalRequestId: 'approval-1', requestedAction: 'apply_patch' });
    return this.transition(taskId, 'running');
  }

  async rejectTaskAction(taskId: string, reason: string): Promise<OrchestrationTaskRecord> {
    this.record({ taskId, type: 'task.failed', errorCode: 'TASK_APPROVAL_REJECTED', message: reason });
    this.results.push({
      resultId: `result-${taskId}`,
      taskId,
      parentTaskId: 'parent',
      classification: 'failed',
      summary: reason,
      errorCode: 'HERMES_REJECTED',
    });
    return this.transition(taskId, 'failed');
  }

  buildTask(input: StartOrchestrationTaskInput): OrchestrationTaskRecord {
    const execution: OrchestrationTaskExecution = { runtimeId: this.runtimeId, backend: this.backend, backendTaskId: input.taskId };
    return { taskId: input.taskId, workspacePath: input.workspacePath, prompt: input.prompt, priority: input.priority ?? 0, state: 'queued', execution };
  }

  private transition(taskId: string, state: OrchestrationTaskState): OrchestrationTaskRecord {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`Task ${taskId} was not found`);
    const next = { ...task, state, activeSessionId: state === 'running' ? `session-${taskId}` : undefined };
    this.tasks.set(taskId, next);
    return next;
  }

  private record(event: Omit<OrchestrationEvent, 'runtimeId' | 'backend'>): void {
    this.events.push({ ...event, runtimeId: this.runtimeId, backend: this.backend });
    // Output and exits as the reference's session adapter records them.
    this.events.push({ taskId: event.taskId, type: 'session.output', runtimeId: this.runtimeId, backend: this.backend, stream: 'stdout', message: 'ok' });
    this.events.push({ taskId: event.taskId, type: 'session.exited', runtimeId: this.runtimeId, backend: this.backend, exitCode: null, pid: 4242 });
  }
}

function describeContext(pkg: OrchestrationContextPackageInput): string {
  return [pkg.summary ?? '', ...pkg.sources.map((source) => source.uri), ...pkg.artifacts.map((artifact) => artifact.label)].join(', ');
}

/** An event as a line, reading every field of the reference's event. */
export function describeEvent(event: OrchestrationEvent): string {
  const parts: string[] = [`${event.runtimeId}/${event.backend} ${event.taskId} ${event.type}`];
  const text: (string | undefined)[] = [
    event.sessionId,
    event.parentTaskId,
    event.childTaskId,
    event.dependencyTaskId,
    event.worktreePath,
    event.resultId,
    event.synthesisId,
    event.approvalRequestId,
    event.requestedAction,
    event.errorCode,
    event.message,
    event.verificationId,
  ];
  parts.push(...text.filter((value): value is string => value !== undefined));
  const lists: (string[] | undefined)[] = [event.dependencyTaskIds, event.blockedByTaskIds];
  parts.push(...lists.map((ids) => (ids ?? []).join(',')));
  if (event.stream === 'stderr') parts.push('(stderr)');
  if (event.exitCode === null) parts.push('aborted');
  else if (typeof event.exitCode === 'number') parts.push(`exit ${event.exitCode.toFixed(0)}`);
  if (typeof event.pid === 'number') parts.push(`pid ${event.pid}`);
  switch (event.verificationStatus) {
    case 'passed':
    case 'failed':
    case undefined:
      break;
    default:
      assertNever(event.verificationStatus);
  }
  switch (event.recoveredState) {
    case 'interrupted':
    case 'failed':
    case 'completed':
    case undefined:
      break;
    default:
      assertNever(event.recoveredState);
  }
  if (event.graphState) parts.push(`graph ${event.graphState}`);
  if (event.resultClassification) parts.push(event.resultClassification);
  if (event.metadata) parts.push(Object.keys(event.metadata).join(','));
  return parts.join(' ');
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}

/** Plato's way of building a selector from an optional flag (the reference's `selectorForRuntime`). */
function selectorFor(runtimeId: string | undefined): AgentRuntimeSelector | undefined {
  return runtimeId ? { runtimeId } : undefined;
}

/** Drives the service with the reference's argument shapes, through the client interface Plato's CLI takes. */
export async function drive(client: OrchestrationClient, runtimeId?: string): Promise<string[]> {
  const selector = selectorFor(runtimeId);
  const contextPackage: OrchestrationContextPackageInput = {
    summary: 'Use the payments API guide',
    sources: [{ sourceId: 'guide', kind: 'repo_file', label: 'API guide', uri: 'docs/api.md' }],
    artifacts: [{ artifactId: 'notes', kind: 'summary', label: 'Notes', mimeType: 'text/markdown', content: '# Notes' }],
  };
  const task = await client.startTask({ taskId: 'task-1', workspacePath: '/repo', prompt: 'Implement it', priority: 2, agent: selector, contextPackage });
  const graph = await client.createTaskGraph({
    parent: { taskId: 'parent', workspacePath: '/repo', prompt: 'Parent', agent: selector },
    children: [
      { taskId: 'child-a', prompt: 'A' },
      { taskId: 'child-b', prompt: 'B', workspacePath: '/repo', priority: 1, dependencyTaskIds: ['child-a'], contextPackage },
    ],
  });
  const found = await client.getTask(task.taskId, selector);
  const snapshot = await client.getTaskGraph(graph.parent.taskId, selector);
  const results = await client.getTaskGraphResults(graph.parent.taskId, selector);
  const tasks = await client.listTasks(selector);
  const events = await client.listEvents(task.taskId, selector);
  await client.interruptTask(task.taskId, selector);
  const resumed = await client.resumeTask(task.taskId, selector);
  const approved = await client.approveTaskAction(task.taskId, selector);
  const rejected = await client.rejectTaskAction(task.taskId, 'not this way', selector);
  const states: OrchestrationTaskState[] = [resumed.state, approved.state, rejected.state, ...tasks.map((each) => each.state)];
  return [
    `${task.execution.runtimeId}:${task.execution.backend}:${task.execution.backendTaskId ?? task.taskId}`,
    found?.activeSessionId ?? found?.worktreePath ?? '',
    found?.decomposition?.dependencyTaskIds?.join(',') ?? '',
    `${snapshot?.state ?? 'none'} ${snapshot?.children.length ?? 0}`,
    ...(results?.results ?? []).map((result) => `${result.resultId} ${result.classification} ${result.errorCode ?? ''} ${JSON.stringify(result.metadata)}`),
    results?.synthesis ? `${results.synthesis.synthesisId} ${results.synthesis.childTaskCount} ${results.synthesis.resultIds.join(',')}` : '',
    ...events.map(describeEvent),
    states.join(','),
  ];
}

/** Plato wires the codex runtime and its own runtimes into one service, and hands it on as its client. */
export async function wire(codexClient: CodexRunnerClient): Promise<string[]> {
  const hermes = new HermesAgentRuntime('hermes-local', 'hermes');
  const codex = new CodexRunnerAgentRuntime({ runtimeId: 'codex', client: codexClient });
  const runtimes: AgentRuntime[] = [codex, hermes];
  const options: TaskOrchestrationServiceOptions = { defaultRuntimeId: 'codex', runtimes };
  const orchestration = new TaskOrchestrationService(options);
  const client: OrchestrationClient = orchestration;
  const runtimeIds = orchestration.listRuntimes().map((runtime: AgentRuntime) => `${runtime.runtimeId}:${runtime.backend}`);
  return [...runtimeIds, ...(await drive(client, hermes.runtimeId))];
}
