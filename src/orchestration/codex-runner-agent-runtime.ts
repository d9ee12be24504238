import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { CodexRunnerClient } from '../client/codex-runner-client';
import { TaskNotFoundError, ValidationError } from '../client/errors';
import type { TaskEvent } from '../contracts/events';
import type { CreateTaskGraphInput, GraphChildInput, GraphSynthesis, TaskGraphResults, TaskGraphSnapshot, WorkerResult } from '../contracts/graph';
import type { TaskStatus } from '../contracts/records';
import type { StartTaskInput, TaskRecord } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import { isGitUrl, type RepoRef } from '../contracts/repository';
import { repositoryName } from '../client/repository-check';
import {
  CreateOrchestrationGraphChildInputSchema,
  CreateOrchestrationGraphInputSchema,
  OrchestrationTaskListFilterSchema,
  StartOrchestrationTaskInputSchema,
  type AgentRuntime,
  type CreateOrchestrationGraphChildRequest,
  type CreateOrchestrationGraphRequest,
  type OrchestrationApprovalOptions,
  type OrchestrationContextPackageRecord,
  type OrchestrationEvent,
  type OrchestrationTaskExecution,
  type OrchestrationTaskGraphResultSnapshot,
  type OrchestrationTaskGraphSnapshot,
  type OrchestrationTaskListFilter,
  type OrchestrationTaskDiff,
  type OrchestrationTaskRecord,
  type OrchestrationTaskStatus,
  type OrchestrationTaskResultRecord,
  type OrchestrationSynthesisRecord,
  type StartOrchestrationTaskRequest,
} from './contracts';

/** The part of {@link CodexRunnerClient} the adapter uses (a test may hand in anything with these methods). */
export type CodexRunnerAgentRuntimeClient = Pick<
  CodexRunnerClient,
  | 'startTask'
  | 'createTaskGraph'
  | 'getTask'
  | 'getTaskStatus'
  | 'getContextPackage'
  | 'getTaskGraph'
  | 'getTaskGraphResults'
  | 'listTasks'
  | 'listEvents'
  | 'interrupt'
  | 'resume'
  | 'approve'
  | 'reject'
  | 'getTaskDiff'
  | 'retryTask'
  | 'retryGraph'
  | 'addSubtasks'
  | 'listSubtasks'
  | 'cancel'
  | 'requestChanges'
>;

export interface CodexRunnerAgentRuntimeOptions {
  /** Default `codex`. */
  runtimeId?: string;
  client: CodexRunnerAgentRuntimeClient;
}

export const CODEX_BACKEND = 'codex';
const DEFAULT_LIST_LIMIT = 50;

/**
 * The codex-runner backend behind the orchestration contracts (the reference's
 * `CodexRunnerAgentRuntime`): `workspacePath` is the runner's `repoPath`, the Codex thread is the
 * session, and every record, result and event it returns carries
 * `{ runtimeId, backend: "codex", backendTaskId }`. Errors are the client's typed errors.
 */
export class CodexRunnerAgentRuntime implements AgentRuntime {
  readonly runtimeId: string;
  readonly backend = CODEX_BACKEND;
  private readonly client: CodexRunnerAgentRuntimeClient;

  constructor(options: CodexRunnerAgentRuntimeOptions) {
    this.runtimeId = options.runtimeId ?? CODEX_BACKEND;
    this.client = options.client;
  }

  /**
   * A task; with `decomposition: { kind: 'subtask', parentTaskId }`, a subtask added to that
   * running graph (its workspace must be the graph's).
   * @throws ValidationError, TaskAlreadyExistsError as the client does; WrongStateError for a graph that has ended.
   */
  async startTask(input: StartOrchestrationTaskRequest): Promise<OrchestrationTaskRecord> {
    const {
      decomposition,
      taskId = randomUUID(),
      workspacePath,
      prompt,
      priority,
      contextPackage,
      requireApproval,
    } = parseOrThrow(StartOrchestrationTaskInputSchema.safeParse(input));
    if (decomposition === undefined) return toOrchestrationTask(await inWorkspaceTerms(this.client.startTask(toStartTaskInput(input))), this.runtimeId);
    const subtask: CreateOrchestrationGraphChildRequest = {
      taskId,
      prompt,
      workspacePath,
      ...(priority !== undefined ? { priority } : {}),
      ...(contextPackage ? { contextPackage } : {}),
      ...(requireApproval ? { requireApproval } : {}),
      ...(decomposition.dependencyTaskIds ? { dependencyTaskIds: decomposition.dependencyTaskIds } : {}),
    };
    await this.addSubtasks(decomposition.parentTaskId, [subtask]);
    return toOrchestrationTask(await this.client.getTask(taskId), this.runtimeId);
  }

  /** @throws WrongStateError when the task has already ended; TaskNotFoundError. */
  async cancelTask(taskId: string): Promise<void> {
    await this.client.cancel(taskId);
  }

  /** @throws WrongStateError when the task is not awaiting approval; ValidationError without a message; TaskNotFoundError. */
  async requestTaskChanges(taskId: string, message: string, options: Pick<OrchestrationApprovalOptions, 'by'> = {}): Promise<OrchestrationTaskRecord> {
    return toOrchestrationTask(await this.client.requestChanges(taskId, { message, ...(options.by ? { by: options.by } : {}) }), this.runtimeId);
  }

  /** @throws ValidationError, TaskAlreadyExistsError, WrongStateError as the client does. */
  async addSubtasks(parentTaskId: string, children: CreateOrchestrationGraphChildRequest[]): Promise<OrchestrationTaskGraphSnapshot> {
    const added = children.map((child) => toGraphChild(parseOrThrow(CreateOrchestrationGraphChildInputSchema.safeParse(child))));
    return toOrchestrationGraph(await inWorkspaceTerms(this.client.addSubtasks(parentTaskId, added)), this.runtimeId);
  }

  async listSubtasks(parentTaskId: string): Promise<OrchestrationTaskRecord[]> {
    return (await this.client.listSubtasks(parentTaskId)).map((task) => toOrchestrationTask(task, this.runtimeId));
  }

  /** @throws ValidationError, TaskAlreadyExistsError as the client does. */
  async createTaskGraph(input: CreateOrchestrationGraphRequest): Promise<OrchestrationTaskGraphSnapshot> {
    return toOrchestrationGraph(await inWorkspaceTerms(this.client.createTaskGraph(toCreateTaskGraphInput(input))), this.runtimeId);
  }

  async getTask(taskId: string): Promise<OrchestrationTaskRecord | undefined> {
    const task = await unlessNotFound(this.client.getTask(taskId));
    return task && toOrchestrationTask(task, this.runtimeId);
  }

  /** The task and its sessions, one per Codex turn; a live task's turn stays `running` (nothing is reconciled on read). */
  async getTaskStatus(taskId: string): Promise<OrchestrationTaskStatus | undefined> {
    const status = await unlessNotFound(this.client.getTaskStatus(taskId));
    return status && toOrchestrationStatus(status, this.runtimeId);
  }

  /** The context package the task was started with (a graph child's own, else its parent's). */
  async getContextPackage(taskId: string): Promise<OrchestrationContextPackageRecord | undefined> {
    return unlessNotFound(this.client.getContextPackage(taskId));
  }

  async getTaskGraph(taskId: string): Promise<OrchestrationTaskGraphSnapshot | undefined> {
    const graph = await unlessNotFound(this.client.getTaskGraph(taskId));
    return graph && toOrchestrationGraph(graph, this.runtimeId);
  }

  async getTaskGraphResults(taskId: string): Promise<OrchestrationTaskGraphResultSnapshot | undefined> {
    const results = await unlessNotFound(this.client.getTaskGraphResults(taskId));
    return results && toOrchestrationResults(results, this.runtimeId);
  }

  /**
   * Tasks from the runner's search attributes, each read in full. Visibility lags a moment behind
   * the tasks themselves, so a task whose record no longer has the filtered state is left out.
   * @throws ValidationError for a bad filter.
   */
  async listTasks(filter: OrchestrationTaskListFilter = {}): Promise<OrchestrationTaskRecord[]> {
    const parsed = OrchestrationTaskListFilterSchema.safeParse(filter);
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
    const { state, parentTaskId, workspacePath, limit = DEFAULT_LIST_LIMIT } = parsed.data;
    const summaries = await this.client.listTasks({
      limit,
      ...(state ? { state } : {}),
      ...(parentTaskId ? { parentTaskId } : {}),
      ...(workspacePath ? { repoPath: repositoryName(workspacePath) } : {}),
    });
    const tasks = await Promise.all(summaries.map((summary) => unlessNotFound(this.client.getTask(summary.taskId))));
    return tasks
      .filter((task): task is TaskRecord => task !== undefined && (state === undefined || task.state === state))
      .map((task) => toOrchestrationTask(task, this.runtimeId));
  }

  /** @throws TaskNotFoundError when the runner has no such task. */
  async listEvents(taskId: string, options: { afterSeq?: number } = {}): Promise<OrchestrationEvent[]> {
    return (await this.client.listEvents(taskId, options.afterSeq)).map((event) => toOrchestrationEvent(event, this.runtimeId));
  }

  /** @throws TaskNotFoundError, WrongStateError (the task has ended) as the client does. */
  async interruptTask(taskId: string, options: { reason?: string } = {}): Promise<void> {
    await this.client.interrupt(taskId, options.reason ? { reason: options.reason } : {});
  }

  /**
   * Signals the resume and returns the record as it is right after (the new turn may not have
   * started yet).
   * @throws TaskNotFoundError, WrongStateError (the task has ended) as the client does.
   */
  async resumeTask(taskId: string, options: { message?: string } = {}): Promise<OrchestrationTaskRecord> {
    await this.client.resume(taskId, options.message ? { message: options.message } : {});
    return toOrchestrationTask(await this.client.getTask(taskId), this.runtimeId);
  }

  /** @throws WrongStateError when the task is not awaiting approval; TaskNotFoundError. */
  async approveTaskAction(taskId: string, options: OrchestrationApprovalOptions = {}): Promise<OrchestrationTaskRecord> {
    return toOrchestrationTask(await this.client.approve(taskId, options), this.runtimeId);
  }

  /** @throws WrongStateError when the task did not fail and was not cancelled, or is a graph's; TaskNotFoundError. */
  async retryTask(taskId: string, options: { message?: string } = {}): Promise<OrchestrationTaskRecord> {
    // A graph's parent is retried as a graph: its completed children carry over.
    if ((await this.client.getTask(taskId)).graph !== undefined) {
      await this.client.retryGraph(taskId);
      return toOrchestrationTask(await this.client.getTask(taskId), this.runtimeId);
    }
    return toOrchestrationTask(await this.client.retryTask(taskId, options.message ? { message: options.message } : {}), this.runtimeId);
  }

  /** @throws WrongStateError when the task has no commit yet; TaskNotFoundError. */
  async getTaskDiff(taskId: string): Promise<OrchestrationTaskDiff> {
    const { base, commit, branchName, files, patch } = await this.client.getTaskDiff(taskId);
    return { taskId, base, commit, branchName, files, patch };
  }

  /** @throws WrongStateError when the task is not awaiting approval; ValidationError without a reason; TaskNotFoundError. */
  async rejectTaskAction(taskId: string, reason: string, options: Pick<OrchestrationApprovalOptions, 'by'> = {}): Promise<OrchestrationTaskRecord> {
    return toOrchestrationTask(await this.client.reject(taskId, { reason, ...(options.by ? { by: options.by } : {}) }), this.runtimeId);
  }
}

/** The runner's refusals name its own fields, `repoPath` and `repoUrl`; the callers of this adapter know both as `workspacePath`. */
async function inWorkspaceTerms<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.message.replace(/\brepo(?:Path|Url)\b/g, 'workspacePath'));
    throw error;
  }
}

async function unlessNotFound<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof TaskNotFoundError) return undefined;
    throw error;
  }
}

function parseOrThrow<T>(result: { success: true; data: T } | { success: false; error: Parameters<typeof describeIssues>[0] }): T {
  if (!result.success) throw new ValidationError(describeIssues(result.error));
  return result.data;
}

/** A workspace is the runner's repository by its path, or, when it is a git URL, by its URL (a pool's hosts each mirror it). */
function workspaceOf(workspacePath: string): RepoRef {
  return isGitUrl(workspacePath) ? { repoUrl: workspacePath } : { repoPath: workspacePath };
}

export function toStartTaskInput(input: StartOrchestrationTaskRequest): StartTaskInput {
  const { taskId, workspacePath, prompt, priority, contextPackage, requireApproval, approvalTimeout } = parseOrThrow(
    StartOrchestrationTaskInputSchema.safeParse(input),
  );
  return {
    ...workspaceOf(workspacePath),
    prompt,
    ...(taskId ? { taskId } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(requireApproval ? { requireApproval } : {}),
    ...(approvalTimeout ? { approvalTimeout } : {}),
    ...(contextPackage ? { contextPackage } : {}),
  };
}

/**
 * A graph for the runner. A child without `workspacePath` works in the parent's repository; one
 * that names another is refused by the runner. The parent's `requireApproval` gates every child
 * (the parent coordinates and runs no turn of its own); its `contextPackage` goes to every child
 * that brings none of its own.
 */
export function toCreateTaskGraphInput(input: CreateOrchestrationGraphRequest): CreateTaskGraphInput {
  const { parent, children, maxConcurrentTasks } = parseOrThrow(CreateOrchestrationGraphInputSchema.safeParse(input));
  return {
    parent: {
      ...workspaceOf(parent.workspacePath),
      prompt: parent.prompt,
      ...(parent.taskId ? { taskId: parent.taskId } : {}),
      ...(parent.priority !== undefined ? { priority: parent.priority } : {}),
      ...(parent.contextPackage ? { contextPackage: parent.contextPackage } : {}),
    },
    children: children.map(toGraphChild),
    ...(maxConcurrentTasks ? { maxConcurrentTasks } : {}),
    ...(parent.requireApproval ? { requireApproval: parent.requireApproval } : {}),
    ...(parent.approvalTimeout ? { approvalTimeout: parent.approvalTimeout } : {}),
  };
}

/** A graph child for the runner: its workspace, when it names one, as records name a repository (an absolute path, or a git URL). */
function toGraphChild(child: z.output<typeof CreateOrchestrationGraphChildInputSchema>): GraphChildInput {
  return {
    taskId: child.taskId,
    prompt: child.prompt,
    ...(child.workspacePath !== undefined ? { repoPath: repositoryName(child.workspacePath) } : {}),
    ...(child.priority !== undefined ? { priority: child.priority } : {}),
    ...(child.dependencyTaskIds ? { dependencyTaskIds: child.dependencyTaskIds } : {}),
    ...(child.requireApproval ? { requireApproval: child.requireApproval } : {}),
    ...(child.contextPackage ? { contextPackage: child.contextPackage } : {}),
  };
}

function execution(runtimeId: string, backendTaskId: string): OrchestrationTaskExecution {
  return { runtimeId, backend: CODEX_BACKEND, backendTaskId };
}

/** Drops the keys whose value is undefined, so records compare and serialise cleanly. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

export function toOrchestrationTask(task: TaskRecord, runtimeId: string): OrchestrationTaskRecord {
  return defined({
    taskId: task.taskId,
    workspacePath: task.repoPath,
    prompt: task.prompt,
    priority: task.priority,
    state: task.state,
    worktreePath: task.worktreePath,
    activeSessionId: task.threadId,
    decomposition: task.parentTaskId
      ? defined({ kind: 'subtask' as const, parentTaskId: task.parentTaskId, dependencyTaskIds: task.dependencyTaskIds })
      : undefined,
    branchName: task.branchName,
    commitSha: task.commitSha,
    finalMessage: task.finalMessage,
    failure: task.failure,
    approval: task.approval
      ? defined({
          requestedAt: task.approval.requestedAt,
          summary: task.approval.finalMessage,
          diffStat: task.approval.diffStat,
          decision: task.approval.decision,
        })
      : undefined,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    execution: execution(runtimeId, task.taskId),
  });
}

export function toOrchestrationStatus({ task, sessions }: TaskStatus, runtimeId: string): OrchestrationTaskStatus {
  return {
    task: toOrchestrationTask(task, runtimeId),
    sessions: sessions.map(({ threadId, ...session }) => ({
      ...(threadId ? { sessionId: threadId } : {}),
      ...session,
      execution: execution(runtimeId, task.taskId),
    })),
  };
}

export function toOrchestrationGraph(graph: TaskGraphSnapshot, runtimeId: string): OrchestrationTaskGraphSnapshot {
  return {
    parent: toOrchestrationTask(graph.parent, runtimeId),
    children: graph.children.map((child) => toOrchestrationTask(child, runtimeId)),
    dependencies: graph.dependencies,
    // The reference's graph states have no `cancelled`: a graph cancelled as a whole failed there.
    state: graph.state === 'cancelled' ? 'failed' : graph.state,
  };
}

function toOrchestrationResult(result: WorkerResult, runtimeId: string): OrchestrationTaskResultRecord {
  return defined({
    resultId: result.resultId,
    taskId: result.taskId,
    parentTaskId: result.parentTaskId,
    classification: result.classification,
    summary: result.summary,
    errorCode: result.errorCode,
    metadata: defined({ filesChanged: result.filesChanged, commitSha: result.commitSha, usage: result.usage }),
    execution: execution(runtimeId, result.taskId),
  });
}

function toOrchestrationSynthesis(synthesis: GraphSynthesis, runtimeId: string): OrchestrationSynthesisRecord {
  return {
    synthesisId: synthesis.synthesisId,
    parentTaskId: synthesis.parentTaskId,
    classification: synthesis.classification,
    summary: synthesis.summary,
    childTaskCount: synthesis.childTaskCount,
    resultIds: synthesis.resultIds,
    metadata: defined({ branchName: synthesis.branchName, commitSha: synthesis.commitSha, conflicts: synthesis.conflicts }),
    execution: execution(runtimeId, synthesis.parentTaskId),
  };
}

export function toOrchestrationResults(results: TaskGraphResults, runtimeId: string): OrchestrationTaskGraphResultSnapshot {
  return defined({
    parentTaskId: results.parentTaskId,
    results: results.results.map((result) => toOrchestrationResult(result, runtimeId)),
    synthesis: results.synthesis && toOrchestrationSynthesis(results.synthesis, runtimeId),
  });
}

/** The runner's event fields that the neutral event has under the same name (the reference's flat fields, and the sequence number, time and state). */
const SHARED_EVENT_FIELDS: ReadonlySet<string> = new Set<keyof TaskEvent & keyof OrchestrationEvent>([
  'seq',
  'at',
  'type',
  'taskId',
  'state',
  'parentTaskId',
  'childTaskId',
  'dependencyTaskId',
  'dependencyTaskIds',
  'blockedByTaskIds',
  'worktreePath',
  'graphState',
  'resultId',
  'synthesisId',
  'resultClassification',
  'errorCode',
  'message',
  'exitCode',
  'verificationId',
  'stream',
]);

/**
 * The shared fields are copied, the Codex thread is the session, a verification that could not
 * run is `failed` (its `errorCode` says why, as in the reference), and what only codex-runner
 * records goes to `metadata`.
 */
export function toOrchestrationEvent(event: TaskEvent, runtimeId: string): OrchestrationEvent {
  const shared: Record<string, unknown> = {};
  const codexOnly: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined || key === 'threadId' || key === 'verificationStatus') continue;
    (SHARED_EVENT_FIELDS.has(key) ? shared : codexOnly)[key] = value;
  }
  return {
    ...(shared as Pick<OrchestrationEvent, 'seq' | 'at' | 'type' | 'taskId'>),
    runtimeId,
    backend: CODEX_BACKEND,
    execution: execution(runtimeId, event.taskId),
    ...(event.threadId ? { sessionId: event.threadId } : {}),
    ...(event.verificationStatus ? { verificationStatus: event.verificationStatus === 'passed' ? 'passed' : 'failed' } : {}),
    ...(Object.keys(codexOnly).length > 0 ? { metadata: codexOnly } : {}),
  };
}
