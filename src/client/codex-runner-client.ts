import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Client, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
// Not re-exported from the package root; the same decoder the client's own `workflow.list` uses.
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { google, temporal } from '@temporalio/proto';
import { ContextPackageSchema, type ContextPackageRecord } from '../contracts/context-package';
import type { TaskEvent } from '../contracts/events';
import type { TaskStatus } from '../contracts/records';
import {
  AddSubtasksRequestSchema,
  CreateTaskGraphInputSchema,
  findGraphProblem,
  type GraphChildInput,
  type CreateTaskGraphInput,
  type TaskGraphResults,
  type TaskGraphSnapshot,
  TaskGraphWorkflowInputSchema,
  type TaskGraphWorkflowInput,
} from '../contracts/graph';
import { DEFAULT_TASK_QUEUE, ID_TAKING_STATUSES, startWorkerHint, taskIdFromWorkflowId, taskQueueProblem, taskWorkflowId } from '../contracts/ids';
import { polledRecently } from '../contracts/pollers';
import { repositoryOf } from '../contracts/repository';
import { mirrorOf, mirrorPathOf } from '../host/repo-mirror';
import { CodexHost, CodexParentTaskId, CodexPriority, CodexRepoPath, CodexTaskState, initialSearchAttributes } from '../contracts/search-attributes';
import {
  RetryOfSchema,
  StartTaskInputSchema,
  TaskIdSchema,
  TaskWorkflowInputSchema,
  approvalTimeoutProblem,
  isTerminalState,
  type RetryOf,
  type StartTaskInput,
  type TaskRecord,
  type TaskState,
  type TaskWorkflowInput,
} from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import {
  checkedOutBranch,
  collectGarbage,
  diffOf,
  land,
  push,
  removeWorktree,
  workOf,
  type GcOptions,
  type GcReport,
  type Landing,
  type Push,
  type Removal,
  type TaskDiff,
  type TaskWork,
} from './task-work';
import { STATUS_MEMO_KEY, statusMemo, SUMMARY_MAX_BYTES, taskDetails, truncateUtf8 } from '../contracts/web-ui';
import { aggregateGraphState } from '../workflows/graph-scheduler';
import type { taskGraphWorkflow } from '../workflows/task-graph-workflow';
import type { taskWorkflow } from '../workflows/task-workflow';
import {
  addSubtasksUpdate,
  approveUpdate,
  closeGraphUpdate,
  eventsQuery,
  interruptSignal,
  rejectUpdate,
  requestChangesUpdate,
  resumeSignal,
  taskQuery,
  type ApproveRequest,
  type RejectRequest,
  type RequestChangesRequest,
} from '../workflows/messages';
import { connectTemporalClient, loadTemporalTarget } from './connection';
import { CodexRunnerError, TaskAlreadyExistsError, TaskNotFoundError, ValidationError, WorkerUnavailableError, WrongStateError } from './errors';
import { ErrorCode } from '../contracts/errors';
import { taskRecordOf, toTaskFailure } from '../contracts/failures';
import { eventsFromHistory } from './history-events';
import { temporalPriority } from './priority';
import { checkRepository, repositoryName } from './repository-check';
import { sessionsOf } from './task-sessions';

/** Where a workflow's input holds its context package: at the top (a task's), or on the parent (a graph's). */
const StartedContextSchema = z
  .object({ contextPackage: ContextPackageSchema.optional(), parent: z.object({ contextPackage: ContextPackageSchema.optional() }).passthrough().optional() })
  .passthrough();

/** One row of {@link CodexRunnerClient.listTasks}, read from search attributes (no worker involved). */
export interface TaskSummary {
  taskId: string;
  state: TaskState | undefined;
  repoPath: string | undefined;
  priority: number | undefined;
  parentTaskId: string | undefined;
  /** The worker host the task is placed on; unset until it is (and for a graph's parent). */
  host: string | undefined;
  /** Temporal's own status of the task workflow (RUNNING, COMPLETED, FAILED, …). */
  workflowStatus: string;
  startedAt: string;
  closedAt: string | undefined;
}

/** What a retry of the run `runId` of `record` knows of it: its thread and host, and how it ended. */
function retryOfRun(record: TaskRecord, runId: string): RetryOf {
  return {
    runId,
    ...(record.threadId ? { threadId: record.threadId } : {}),
    ...(record.host ? { host: record.host } : {}),
    reason: record.failure ? `${record.failure.code}: ${record.failure.message}` : record.state,
  };
}

/** gRPC's NOT_FOUND status, as a history fetch of an unknown workflow fails with it. */
const GRPC_NOT_FOUND = 5;

/** The refusal of a message to a task that has ended. */
const hasEnded = (taskId: string) => (state: string) => `Task ${taskId} has ended (${state})`;

/** A graph retried by {@link CodexRunnerClient.retryGraph}: the run it retries, the children carried over and those run again. */
export interface GraphRetry {
  parentTaskId: string;
  retryOfRunId: string;
  carriedTaskIds: string[];
  retriedTaskIds: string[];
}

/** Filters of {@link CodexRunnerClient.listTasks} and {@link CodexRunnerClient.listTasksPage}; every given one must match. */
export interface TaskFilter {
  state?: TaskState;
  parentTaskId?: string;
  repoPath?: string;
  /** Tasks placed on this worker host. */
  host?: string;
}

export interface ListTasksOptions extends TaskFilter {
  /** At most this many tasks, newest first (default 100). */
  limit?: number;
}

export interface ListTasksPageOptions extends TaskFilter {
  /** Tasks on one page (default 100, at most 1000). */
  pageSize?: number;
  /** The `nextPageToken` of the previous page; omit it for the first page. */
  nextPageToken?: string;
}

export interface TaskPage {
  tasks: TaskSummary[];
  /** Pass it to the next call for the following page; absent on the last page. */
  nextPageToken?: string;
}

/** What the server says of a task's workflow, without asking a worker. */
interface DescribedTask {
  status: string;
  taskQueue: string;
  state: TaskState | undefined;
  parentTaskId: string | undefined;
}

export interface CodexRunnerClientOptions {
  /**
   * The task queue tasks and graphs are started on (default `codex-runner`): only workers started
   * with the same `--task-queue` run them. Reading and controlling a task needs no queue.
   */
  taskQueue?: string;
}

function checkTaskQueue(taskQueue: string): string {
  const problem = taskQueueProblem(taskQueue);
  if (problem) throw new ValidationError(problem);
  return taskQueue;
}

/** How long a worker seen polling a queue is taken as still there before the client asks again. */
const WORKER_RECHECK_MS = 5_000;

/** The workers polling a task queue for workflow tasks, as the server last saw them. */
export interface TaskQueueWorkers {
  taskQueue: string;
  /** Identities that polled within the last minute or so: running workers. */
  polling: string[];
  /** When any worker last polled, when one ever did (ISO time). */
  lastPolledAt?: string;
}

/** Whether a query failed because no worker took it (rather than because the workflow refused it). */
function isUnansweredQuery(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}` : '';
  return /timed out before a worker could process it|no poller seen|deadline exceeded/i.test(text);
}

/** How often a wait for a graph child checks that the child can still run. */
const ORPHAN_CHECK_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHILDREN_VISIBLE_TIMEOUT_MS = 10_000;

function quoteQueryValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The visibility query of a task listing: task and graph workflows, narrowed by each given filter. */
function taskListQuery(filter: TaskFilter): string {
  const clauses = ['(WorkflowType = "taskWorkflow" OR WorkflowType = "taskGraphWorkflow")'];
  if (filter.state) clauses.push(`CodexTaskState = ${quoteQueryValue(filter.state)}`);
  if (filter.parentTaskId) clauses.push(`CodexParentTaskId = ${quoteQueryValue(filter.parentTaskId)}`);
  if (filter.repoPath) clauses.push(`CodexRepoPath = ${quoteQueryValue(filter.repoPath)}`);
  if (filter.host) clauses.push(`CodexHost = ${quoteQueryValue(filter.host)}`);
  return clauses.join(' AND ');
}

/** `WORKFLOW_EXECUTION_STATUS_COMPLETED` → `COMPLETED`, as the high-level client names statuses. */
function workflowStatusName(status: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined): string {
  const name = temporal.api.enums.v1.WorkflowExecutionStatus[status ?? 0] ?? 'UNSPECIFIED';
  return name.replace(/^WORKFLOW_EXECUTION_STATUS_/, '');
}

function timestampToIso(timestamp: google.protobuf.ITimestamp | null | undefined): string | undefined {
  if (!timestamp) return undefined;
  return new Date(Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();
}

/**
 * The TypeScript client library of codex-runner: starts and reads tasks without the caller
 * knowing Temporal. Every method throws {@link CodexRunnerError} subclasses with a stable `code`
 * for the failures a caller can act on; other errors (a broken connection mid-call) propagate
 * as Temporal raised them.
 */
export class CodexRunnerClient {
  /**
   * Wraps a Temporal client the caller connected (any namespace, TLS or API key); the caller
   * owns its connection. Nothing is contacted until the first call.
   */
  constructor(
    readonly temporal: Client,
    options: CodexRunnerClientOptions = {},
  ) {
    this.taskQueue = checkTaskQueue(options.taskQueue ?? DEFAULT_TASK_QUEUE);
  }

  /** The task queue this client starts tasks and graphs on (only workers polling it run them). */
  readonly taskQueue: string;

  /** When a worker was last seen polling each queue: reading a graph's children asks once, not per child. */
  private readonly workersSeenAt = new Map<string, number>();

  /**
   * Connects to Temporal through the standard environment configuration
   * (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, profiles).
   * @throws ValidationError when `taskQueue` is not a valid task queue name (before connecting).
   * @throws TemporalUnavailableError when the server does not answer.
   */
  static async connect(options: CodexRunnerClientOptions = {}): Promise<CodexRunnerClient> {
    checkTaskQueue(options.taskQueue ?? DEFAULT_TASK_QUEUE);
    return new CodexRunnerClient(await connectTemporalClient(loadTemporalTarget()), options);
  }

  /**
   * Closes the Temporal connection this client uses (also one injected through the
   * constructor). Calls after it fail with Temporal's connection error.
   */
  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /**
   * Validates the input, checks the repository (exists, is a git repository root, has the base
   * ref) and starts the task's workflow. Nothing is created when validation fails.
   * @returns the task's record as admitted (`queued`).
   * @throws ValidationError for a bad field (the message names it and the fix).
   * @throws TaskAlreadyExistsError when a running or completed task has this id (a failed task's id may be reused).
   * Connection failures propagate as Temporal raised them (nothing was started then).
   */
  async startTask(input: StartTaskInput): Promise<TaskRecord> {
    const parsed = StartTaskInputSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
    const approvalProblem = approvalTimeoutProblem(parsed.data);
    if (approvalProblem) throw new ValidationError(approvalProblem);
    const { taskId = randomUUID(), prompt, priority, baseRef, codex, requireApproval, approvalTimeout, contextPackage, checks } = parsed.data;
    const repo = await checkRepository(parsed.data, baseRef);
    const repoPath = repositoryOf(repo);
    const workflowInput: TaskWorkflowInput = {
      taskId,
      ...repo,
      prompt,
      priority,
      ...(baseRef ? { baseRef } : {}),
      ...(codex ? { codex } : {}),
      ...(requireApproval ? { requireApproval } : {}),
      ...(approvalTimeout ? { approvalTimeout } : {}),
      ...(contextPackage ? { contextPackage } : {}),
      ...(checks ? { checks } : {}),
    };
    await this.startWorkflow('taskWorkflow', workflowInput, {
      taskId,
      repoPath,
      priority,
      summary: `${taskId} · ${repoPath.split('/').at(-1)} · ${prompt.replace(/\s+/g, ' ')}`,
      details: taskDetails({ taskId, repoPath, priority, prompt }),
    });
    const now = new Date().toISOString();
    return { taskId, repoPath, ...repo, prompt, priority, state: 'queued', ...(baseRef ? { baseRef } : {}), createdAt: now, updatedAt: now };
  }

  /**
   * Validates a task graph and starts it: the parent task's workflow, which creates every child
   * at once (queued) and releases each when its prerequisites completed. Nothing is created when
   * validation fails: no children, duplicate ids, a dependency on itself, on a missing child or
   * duplicated, a cycle (named `a -> b -> a`), a child in another repository, bad ids, or an id
   * that already exists.
   * @returns the graph as admitted: every task `queued`.
   * @throws ValidationError for a bad graph (the message names the problem and the fix).
   * @throws TaskAlreadyExistsError when the parent's or a child's id is taken.
   * Connection failures propagate as Temporal raised them.
   */
  async createTaskGraph(input: CreateTaskGraphInput): Promise<TaskGraphSnapshot> {
    const parsed = CreateTaskGraphInputSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
    const { parent, children, maxConcurrentTasks, requireApproval, approvalTimeout, open } = parsed.data;
    const parentTaskId = parent.taskId ?? randomUUID();
    const problem = findGraphProblem(
      { taskId: parentTaskId, repoUrl: parent.repoUrl, ...(parent.repoPath !== undefined ? { repoPath: path.resolve(parent.repoPath) } : {}) },
      children.map((child) => (child.repoPath ? { ...child, repoPath: repositoryName(child.repoPath) } : child)),
      parsed.data,
    );
    if (problem) throw new ValidationError(problem);
    const repo = await checkRepository(parent, parent.baseRef);
    const repoPath = repositoryOf(repo);
    const taken = await this.existingTaskIds([parentTaskId, ...children.map((child) => child.taskId)]);
    if (taken.length > 0) throw new TaskAlreadyExistsError(taken[0]!);

    const workflowInput: TaskGraphWorkflowInput = {
      parent: { ...parent, taskId: parentTaskId, ...repo },
      children: children.map(({ repoPath: _ignored, ...child }) => child),
      ...(maxConcurrentTasks ? { maxConcurrentTasks } : {}),
      ...(requireApproval ? { requireApproval } : {}),
      ...(approvalTimeout ? { approvalTimeout } : {}),
      ...(open ? { open } : {}),
    };
    await this.startWorkflow('taskGraphWorkflow', workflowInput, {
      taskId: parentTaskId,
      repoPath,
      priority: parent.priority,
      summary: `${parentTaskId} · graph of ${children.length} · ${repoPath.split('/').at(-1)} · ${parent.prompt.replace(/\s+/g, ' ')}`,
      details: [
        `**Task graph:** ${parentTaskId}`,
        `**Repository:** \`${repoPath}\``,
        `**Children:** ${children.map((child) => (child.dependencyTaskIds.length ? `${child.taskId} (after ${child.dependencyTaskIds.join(', ')})` : child.taskId)).join(', ')}`,
        `**Goal:**`,
        '',
        truncateUtf8(parent.prompt, 8_000),
      ].join('\n'),
    });
    // Without a worker the children cannot appear: no point waiting for them.
    if ((await this.findWorkers()).polling.length > 0) {
      const deadline = Date.now() + CHILDREN_VISIBLE_TIMEOUT_MS;
      for (const child of children) await this.waitUntilStarted(child.taskId, deadline - Date.now());
    }
    const now = new Date().toISOString();
    const queued = (taskId: string, prompt: string, priority: number, extra: Partial<TaskRecord> = {}): TaskRecord => ({
      taskId,
      repoPath,
      ...(repo.repoUrl ? { repoUrl: repo.repoUrl } : {}),
      prompt,
      priority,
      state: 'queued',
      createdAt: now,
      updatedAt: now,
      ...extra,
    });
    return {
      parent: queued(parentTaskId, parent.prompt, parent.priority, {
        graph: {
          children: children.map(({ taskId, prompt, priority, dependencyTaskIds }) => ({ taskId, prompt, priority, dependencyTaskIds })),
          ...(maxConcurrentTasks ? { maxConcurrentTasks } : {}),
          results: [],
        },
      }),
      children: children.map((child) => queued(child.taskId, child.prompt, child.priority, { parentTaskId, dependencyTaskIds: child.dependencyTaskIds })),
      dependencies: Object.fromEntries(children.map((child) => [child.taskId, child.dependencyTaskIds])),
      state: 'queued',
    };
  }

  /**
   * A task graph by its parent's id or any child's id: the parent, its children, their
   * dependencies and the aggregate state (the parent's own once it has ended, else derived
   * from the children by the reference rule). A task that is not in a graph is returned as a
   * graph of its own, without children.
   * @throws TaskNotFoundError when no task has this id.
   */
  async getTaskGraph(taskId: string): Promise<TaskGraphSnapshot> {
    const parent = await this.graphParent(taskId);
    const childIds = parent.graph?.children.map((child) => child.taskId) ?? [];
    const children = await Promise.all(childIds.map((id) => this.getTask(id)));
    const state = children.length === 0 || isTerminalState(parent.state) ? parent.state : aggregateGraphState(children.map((child) => child.state));
    return {
      parent,
      children,
      dependencies: Object.fromEntries((parent.graph?.children ?? []).map((child) => [child.taskId, child.dependencyTaskIds])),
      state,
    };
  }

  /**
   * The worker results of a graph's finished children and, once every child is terminal, the
   * synthesis; by the parent's id or any child's id. A task outside any graph has no results.
   * @throws TaskNotFoundError when no task has this id.
   */
  async getTaskGraphResults(taskId: string): Promise<TaskGraphResults> {
    const parent = await this.graphParent(taskId);
    return {
      parentTaskId: parent.taskId,
      parentState: parent.state,
      results: parent.graph?.results ?? [],
      ...(parent.graph?.synthesis ? { synthesis: parent.graph.synthesis } : {}),
    };
  }

  /**
   * The task's full record. A finished task is read from its workflow's result (no worker
   * needed); a live one is queried (which needs a running worker to answer).
   * @throws TaskNotFoundError when no task has this id (or the id is not a valid task id).
   * @throws WorkerUnavailableError when the task is live (or cancelled) and no worker polls its queue to answer.
   * @throws CodexRunnerError with the failure's type as `code` when a workflow ended without a task record (terminated by hand, say).
   */
  async getTask(taskId: string): Promise<TaskRecord> {
    const task = await this.describeTask(taskId);
    if (task.status === 'COMPLETED' || task.status === 'FAILED') return this.finishedRecord(taskId);
    return this.queriedRecord(taskId, task);
  }

  /**
   * The task's record and its sessions, one per Codex turn (thread, attempt, how it ended, when),
   * derived from its events. Reading changes nothing: a turn whose end is not recorded yet is
   * `running` while the task is live.
   * @throws TaskNotFoundError, WorkerUnavailableError as {@link getTask} does.
   */
  async getTaskStatus(taskId: string): Promise<TaskStatus> {
    const task = await this.getTask(taskId);
    // The events are read after the record, so they hold at least what the record's state says happened.
    return { task, sessions: sessionsOf(await this.listEvents(taskId), task.state) };
  }

  /**
   * The context package a task was started with (a graph child's own, else its parent's; a graph
   * parent's), with its id; `undefined` when it has none. Read from its workflow's input in
   * history: no worker needed.
   * @throws TaskNotFoundError when no task has this id.
   */
  async getContextPackage(taskId: string): Promise<ContextPackageRecord | undefined> {
    const { earlier } = await this.earlierRun(taskId, StartedContextSchema, 'so its context package is not known');
    const contextPackage = earlier.contextPackage ?? earlier.parent?.contextPackage;
    return contextPackage && { taskId, ...contextPackage };
  }

  /** The record a worker answers for (a live task's, or a cancelled one's: cancellation carries no details). */
  private async queriedRecord(taskId: string, task: DescribedTask): Promise<TaskRecord> {
    await this.requireWorker(taskId, task, 'to answer for its record');
    try {
      return await this.handle(taskId).query(taskQuery);
    } catch (error) {
      if (!isUnansweredQuery(error)) throw error;
      throw new WorkerUnavailableError(
        task.taskQueue,
        `No worker answered for task ${taskId} (it is ${task.state ?? 'queued'}): is a worker polling task queue ${task.taskQueue}? If not, ${startWorkerHint(task.taskQueue)}`,
      );
    }
  }

  /**
   * The workers polling a task queue (default: the one this client starts tasks on), as the
   * server saw them; a task on a queue none polls waits until one does.
   */
  async findWorkers(taskQueue: string = this.taskQueue): Promise<TaskQueueWorkers> {
    const response = await this.temporal.workflowService.describeTaskQueue({
      namespace: this.temporal.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const seen = (response.pollers ?? []).map((poller) => ({ identity: poller.identity ?? '', at: timestampToIso(poller.lastAccessTime) }));
    const now = Date.now();
    const last = seen
      .map((poller) => poller.at)
      .filter((at): at is string => at !== undefined)
      .sort()
      .at(-1);
    return {
      taskQueue,
      polling: seen.filter((poller) => polledRecently(poller.at === undefined ? undefined : Date.parse(poller.at), now)).map((poller) => poller.identity),
      ...(last ? { lastPolledAt: last } : {}),
    };
  }

  /**
   * Waits until the task is finished and returns its final record (`completed`, `failed` or
   * `cancelled`); a task that is awaiting approval or interrupted is not finished, so this waits on.
   * @throws TaskNotFoundError when no task has this id.
   * @throws WrongStateError when the task is a graph child that can never run: its graph ended while it was queued.
   * @throws WorkerUnavailableError when the task was cancelled and no worker polls its queue to answer for its record.
   * @throws CodexRunnerError with the failure's type as `code` when the workflow ended without a task record.
   */
  async waitForTask(taskId: string): Promise<TaskRecord> {
    const { parentTaskId } = await this.describeTask(taskId);
    const finished = this.finishedRecord(taskId);
    if (parentTaskId === undefined) return finished;
    // A graph child runs only once its parent releases it: a parent that ended (terminated by
    // hand, say) with the child still queued never will, and the wait would never end.
    const settled = finished.then(
      () => true,
      () => true,
    );
    while (!(await Promise.race([settled, sleep(ORPHAN_CHECK_MS).then(() => false)]))) {
      const child = await this.describeTask(taskId);
      if (child.status !== 'RUNNING' || child.state !== 'queued') continue;
      const parent = await this.describeTask(parentTaskId).catch(() => undefined);
      if (parent === undefined || parent.status !== 'RUNNING') {
        throw new WrongStateError(
          `Task ${taskId} can never run: its graph ${parentTaskId} has ended (${parent?.status.toLowerCase() ?? 'gone'}) while it was queued`,
        );
      }
    }
    return finished;
  }

  /**
   * The task's events with a sequence number above `afterSeq`, in order. A finished task's events
   * are rebuilt from its workflow history alone; a live task is queried.
   * @throws TaskNotFoundError when no task has this id.
   */
  async listEvents(taskId: string, afterSeq = 0): Promise<TaskEvent[]> {
    const task = await this.describeTask(taskId);
    if (task.status === 'RUNNING' && (await this.missingWorkers(task.taskQueue)) === undefined) {
      try {
        return await this.handle(taskId).query(eventsQuery, afterSeq);
      } catch (error) {
        if (!isUnansweredQuery(error)) throw error;
      }
    }
    // Without a worker nothing new happens, and the history holds every event recorded so far.
    const events = eventsFromHistory(await this.handle(taskId).fetchHistory());
    return events.filter((event) => event.seq > afterSeq);
  }

  /**
   * Tasks matching every given filter, newest first, from Temporal's visibility store (search
   * attributes), up to `limit` (default 100) across as many pages as that takes. Visibility is
   * eventually consistent: a task started a moment ago may be missing, and a state may lag.
   * @throws ValidationError when `limit` is not a positive integer.
   */
  async listTasks(options: ListTasksOptions = {}): Promise<TaskSummary[]> {
    const { limit = 100, ...filter } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer');
    const tasks: TaskSummary[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await this.listTasksPage({ ...filter, pageSize: Math.min(limit - tasks.length, 1000), ...(nextPageToken ? { nextPageToken } : {}) });
      tasks.push(...page.tasks);
      nextPageToken = page.nextPageToken;
    } while (nextPageToken && tasks.length < limit);
    return tasks.slice(0, limit);
  }

  /**
   * One page of the tasks matching every given filter, newest first, from Temporal's visibility
   * store; pass the returned `nextPageToken` back for the next page. The token is opaque (base64)
   * and only valid for the same filters. Visibility is eventually consistent.
   * @throws ValidationError when `pageSize` is not an integer from 1 to 1000 or the token is not base64.
   */
  async listTasksPage(options: ListTasksPageOptions = {}): Promise<TaskPage> {
    const pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new ValidationError('pageSize must be an integer from 1 to 1000');
    const token = options.nextPageToken === undefined ? Buffer.alloc(0) : Buffer.from(options.nextPageToken, 'base64');
    if (options.nextPageToken !== undefined && token.toString('base64') !== options.nextPageToken) {
      throw new ValidationError('nextPageToken is not a token a previous page returned (base64)');
    }
    const response = await this.temporal.workflowService.listWorkflowExecutions({
      namespace: this.temporal.options.namespace,
      query: taskListQuery(options),
      pageSize,
      nextPageToken: token,
    });
    const tasks: TaskSummary[] = [];
    for (const execution of response.executions) {
      const taskId = taskIdFromWorkflowId(execution.execution?.workflowId ?? '');
      if (taskId === undefined) continue;
      const attributes = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
      tasks.push({
        taskId,
        state: attributes.get(CodexTaskState) as TaskState | undefined,
        repoPath: attributes.get(CodexRepoPath),
        priority: attributes.get(CodexPriority),
        parentTaskId: attributes.get(CodexParentTaskId),
        host: attributes.get(CodexHost),
        workflowStatus: workflowStatusName(execution.status),
        startedAt: timestampToIso(execution.startTime) ?? new Date(0).toISOString(),
        closedAt: timestampToIso(execution.closeTime),
      });
    }
    const next = response.nextPageToken && response.nextPageToken.length > 0 ? Buffer.from(response.nextPageToken).toString('base64') : undefined;
    return { tasks, ...(next ? { nextPageToken: next } : {}) };
  }

  /**
   * Waits until a task's workflow exists. The graph's parent creates its children in its first
   * steps; waiting for them here means a caller can read any child as soon as createTaskGraph
   * returns. Without a worker the children cannot appear: after `timeoutMs` the wait gives up
   * quietly and they appear once a worker runs.
   */
  private async waitUntilStarted(taskId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.handle(taskId).describe();
        return;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts a task's or a graph's workflow under the task's id, with its search attributes and Web UI summary. */
  private async startWorkflow<W extends typeof taskWorkflow | typeof taskGraphWorkflow>(
    type: 'taskWorkflow' | 'taskGraphWorkflow',
    input: Parameters<W>[0],
    task: { taskId: string; repoPath: string; priority: number; summary: string; details: string; taskQueue?: string },
  ): Promise<void> {
    try {
      await this.temporal.workflow.start(type, {
        taskQueue: task.taskQueue ?? this.taskQueue,
        workflowId: taskWorkflowId(task.taskId),
        args: [input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowIdConflictPolicy: 'FAIL',
        priority: temporalPriority(task.priority),
        typedSearchAttributes: initialSearchAttributes(task),
        staticSummary: truncateUtf8(task.summary, SUMMARY_MAX_BYTES),
        staticDetails: task.details,
        memo: { [STATUS_MEMO_KEY]: statusMemo('queued', undefined) },
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new TaskAlreadyExistsError(task.taskId);
      throw error;
    }
  }

  /**
   * Interrupts a task: a running session is aborted (its codex process ends) and the task parks
   * as `interrupted` with its worktree, branch and Codex thread kept; a queued task is kept from
   * starting. On a graph's parent it interrupts every child that has not ended and stops
   * releasing new ones. It is a signal: read the task afterwards to see it take effect.
   * @throws WrongStateError when the task is not queued or running (it has ended, awaits approval, or is interrupted already).
   * @throws TaskNotFoundError when no task has this id.
   */
  async interrupt(taskId: string, options: { reason?: string } = {}): Promise<void> {
    await this.requireState(taskId, 'interrupted', ['queued', 'running']);
    await this.handle(taskId).signal(interruptSignal, options.reason ? { reason: options.reason } : {});
  }

  /**
   * Resumes an interrupted task: a new turn on the same Codex thread in the same worktree, with
   * `message` as the instruction (default: continue where you left off). On a graph's parent it
   * resumes its interrupted children and releases children again. It is a signal.
   * @throws WrongStateError when the task is not interrupted.
   * @throws TaskNotFoundError when no task has this id.
   */
  async resume(taskId: string, options: { message?: string } = {}): Promise<void> {
    await this.requireState(taskId, 'resumed', ['interrupted']);
    await this.handle(taskId).signal(resumeSignal, options.message ? { message: options.message } : {});
  }

  /**
   * Approves a task that is `awaiting_approval`; it ends `completed`.
   * @returns the task's record after the decision.
   * @throws WrongStateError (`TASK_WRONG_STATE`) when the task is not awaiting approval (also once it has ended); nothing is recorded.
   * @throws TaskNotFoundError when no task has this id.
   */
  async approve(taskId: string, options: ApproveRequest = {}): Promise<TaskRecord> {
    return this.decide(taskId, () => this.handle(taskId).executeUpdate(approveUpdate, { args: [options] }));
  }

  /**
   * Rejects a task that is `awaiting_approval`; it ends `failed` with `TASK_APPROVAL_REJECTED`.
   * @throws WrongStateError when the task is not awaiting approval; ValidationError without a reason.
   * @throws TaskNotFoundError when no task has this id.
   */
  async reject(taskId: string, options: RejectRequest): Promise<TaskRecord> {
    return this.decide(taskId, () => this.handle(taskId).executeUpdate(rejectUpdate, { args: [options] }));
  }

  /**
   * Sends a task that is `awaiting_approval` back for another turn on the same thread with
   * `message` as the feedback; it returns to `awaiting_approval` afterwards.
   * @returns the record as the new turn starts (`running`).
   * @throws WrongStateError when the task is not awaiting approval; ValidationError without a message.
   * @throws TaskNotFoundError when no task has this id.
   */
  async requestChanges(taskId: string, options: RequestChangesRequest): Promise<TaskRecord> {
    return this.decide(taskId, () => this.handle(taskId).executeUpdate(requestChangesUpdate, { args: [options] }));
  }

  /**
   * Cancels a task (Temporal's workflow cancellation): its session is aborted, the worktree
   * stays, it ends `cancelled`, and in a graph its dependents fail as blocked. On a graph's
   * parent every child that has not ended is cancelled too. It returns once the cancellation is
   * requested; read the task (or {@link waitForTask}) to see it take effect.
   * @throws WrongStateError when the task has already ended (`Task x is already cancelled`).
   * @throws TaskNotFoundError when no task has this id.
   */
  async cancel(taskId: string): Promise<void> {
    await this.requireState(taskId, 'cancelled');
    await this.handle(taskId).cancel();
  }

  /**
   * The work of a task or graph: `git diff <base> <commit>` of its branch, with a count per file.
   * @throws WrongStateError when it has no commit yet.
   * @throws TaskNotFoundError when no task has this id.
   */
  async getTaskDiff(taskId: string): Promise<TaskDiff> {
    return diffOf(await workHere(await this.getTask(taskId)));
  }

  /**
   * Lands a task's or graph's work on `into` (default: the branch checked out in its repository):
   * a fast-forward when possible, else a merge commit; a conflict, or the target checked out with
   * uncommitted changes, is refused and changes nothing. A task awaiting approval is approved
   * once its work has landed (`by` records who landed it).
   * @throws LandRefusedError (`TASK_LAND_REFUSED`, or `TASK_LAND_CONFLICT` with the files).
   * @throws WrongStateError when the task is neither completed nor awaiting approval.
   * @throws WorkerUnavailableError when a task awaiting approval has no worker to approve it; nothing was landed.
   */
  async landTask(taskId: string, options: { into?: string; by?: string } = {}): Promise<Landing & { approved: boolean }> {
    const record = await this.getTask(taskId);
    if (record.state !== 'completed' && record.state !== 'awaiting_approval') {
      throw new WrongStateError(`Task ${taskId} is ${record.state}: only completed work, or work awaiting approval, can be landed`);
    }
    if (record.repoUrl !== undefined) {
      throw new ValidationError(
        `into: task ${taskId}'s repository is ${record.repoUrl}, where its branch ${record.branchName ?? ''} is pushed: land it there (codex-runner push ${taskId} --branch <branch>, or a pull request)`,
      );
    }
    const work = workOf(record);
    const into = options.into ?? (await checkedOutBranch(record.repoPath));
    if (into === undefined) throw new ValidationError(`into: ${record.repoPath} has no branch checked out (detached HEAD); name the branch to land into`);
    const awaiting = record.state === 'awaiting_approval';
    if (awaiting) await this.requireWorker(taskId, await this.describeTask(taskId), 'to approve it once landed; nothing was landed');
    const landing = await land(work, into);
    if (awaiting) await this.approve(taskId, { ...(options.by ? { by: options.by } : {}), comment: `Landed into ${into} (${landing.kind})` });
    return { ...landing, approved: awaiting };
  }

  /**
   * Pushes a task's or graph's work to `remote` (default `origin`) as `branch` (default its own
   * branch name); for a GitHub remote the result has the URL that opens a pull request.
   * @throws CodexRunnerError `TASK_PUSH_FAILED` with git's reason.
   */
  async pushTask(taskId: string, options: { remote?: string; branch?: string } = {}): Promise<Push> {
    return push(await workHere(await this.getTask(taskId)), options.remote ?? 'origin', options.branch);
  }

  /**
   * Removes the worktree of a task that has ended; its branch keeps its committed work. A
   * worktree holding changes that are in no commit is kept unless `force`. A task on a repository
   * named by its URL is cleaned on its host (its worktree is in that host's mirror).
   * @throws WrongStateError when the task has not ended, its worktree holds uncommitted work, or it is on another host.
   */
  async cleanTask(taskId: string, options: { force?: boolean } = {}): Promise<Removal> {
    const record = await this.getTask(taskId);
    if (!isTerminalState(record.state)) throw new WrongStateError(`Task ${taskId} is ${record.state}: only an ended task's worktree is removed`);
    const here = onThisHost(record);
    if (here === undefined) {
      throw new WrongStateError(
        `Task ${taskId}'s worktree is on host ${record.host ?? '(unplaced)'}, in its mirror of ${record.repoUrl ?? ''}: run codex-runner clean ${taskId} there`,
      );
    }
    return removeWorktree(here, options);
  }

  /**
   * Cleans up ended tasks (in `repoPath` when given): see {@link GcOptions}. A task that is
   * queued, running, interrupted or awaiting approval is never touched, nor one on a repository
   * named by its URL whose worktree is on another host.
   */
  async collectGarbage(options: GcOptions & { repoPath?: string } = {}): Promise<GcReport> {
    const { repoPath, ...gc } = options;
    const summaries = await this.listTasks({ ...(repoPath ? { repoPath: path.resolve(repoPath) } : {}), limit: 10_000 });
    const ended = summaries.filter((summary) => summary.state !== undefined && isTerminalState(summary.state) && summary.workflowStatus !== 'RUNNING');
    const records = await Promise.all(ended.map((summary) => this.getTask(summary.taskId)));
    return collectGarbage(
      records.map(onThisHost).filter((record): record is TaskRecord => record !== undefined && existsSync(record.repoPath)),
      gc,
    );
  }

  /**
   * Runs a failed or cancelled task again, as a new run of its workflow (Temporal reuses an id
   * whose last run did not complete) on the same task queue: in the same worktree, on the same
   * branch and Codex thread, with `message` as the agent's instruction (default: finish the
   * task). The new run records the run it retries. A graph's child is retried with its graph.
   * @returns the new run's record (`queued`).
   * @throws WrongStateError when the task did not fail and was not cancelled, or is part of a graph.
   */
  async retryTask(taskId: string, options: { message?: string } = {}): Promise<TaskRecord> {
    const record = await this.getTask(taskId);
    if (record.state !== 'failed' && record.state !== 'cancelled')
      throw new WrongStateError(`Task ${taskId} is ${record.state}: only a failed or cancelled task is retried`);
    if (record.parentTaskId !== undefined || record.graph !== undefined) {
      throw new WrongStateError(
        `Task ${taskId} is part of the graph ${record.parentTaskId ?? taskId}: retry the graph (codex-runner graph retry ${record.parentTaskId ?? taskId})`,
      );
    }
    const { description, earlier } = await this.earlierRun(taskId, TaskWorkflowInputSchema);
    const retryOf: RetryOf = { ...retryOfRun(record, description.runId), ...(options.message !== undefined ? { message: options.message } : {}) };
    const checked = RetryOfSchema.safeParse(retryOf);
    if (!checked.success) throw new ValidationError(describeIssues(checked.error));
    const input = earlier;
    await this.startWorkflow(
      'taskWorkflow',
      { ...input, retryOf: checked.data },
      {
        taskId,
        repoPath: repositoryOf(input),
        priority: input.priority,
        summary: `${taskId} · retry · ${input.prompt.replace(/\s+/g, ' ')}`,
        details: taskDetails({ ...input, repoPath: repositoryOf(input) }),
        taskQueue: description.taskQueue,
      },
    );
    const now = new Date().toISOString();
    return {
      taskId,
      repoPath: repositoryOf(input),
      ...(input.repoUrl ? { repoUrl: input.repoUrl } : {}),
      prompt: input.prompt,
      priority: input.priority,
      state: 'queued',
      retryOfRunId: description.runId,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Runs a failed or cancelled graph again, as a new run of its parent's workflow: completed
   * children are not run again (their results and commits carry over, and the graph branch goes
   * on from where the earlier run left it); failed, cancelled and blocked children run again in
   * dependency order, each in its worktree and on its Codex thread when it had one.
   * @returns which children carry over and which run again.
   * @throws WrongStateError when the task is not a graph's parent, or the graph did not fail and was not cancelled.
   */
  async retryGraph(parentTaskId: string): Promise<GraphRetry> {
    const record = await this.getTask(parentTaskId);
    if (record.graph === undefined)
      throw new WrongStateError(
        `Task ${parentTaskId} is not a graph's parent${record.parentTaskId ? `: retry its graph, ${record.parentTaskId}` : ': retry it with codex-runner retry'}`,
      );
    if (record.state !== 'failed' && record.state !== 'cancelled')
      throw new WrongStateError(`Graph ${parentTaskId} is ${record.state}: only a failed or cancelled graph is retried`);
    const { description, earlier } = await this.earlierRun(parentTaskId, TaskGraphWorkflowInputSchema);
    if (record.graph.baseSha === undefined)
      throw new CodexRunnerError(ErrorCode.taskFailed, `Graph ${parentTaskId} recorded no base commit, so it cannot be retried`);
    const carried = record.graph.results.flatMap((result) =>
      result.classification === 'completed' && result.commitSha !== undefined
        ? [{ ...result, classification: 'completed' as const, commitSha: result.commitSha }]
        : [],
    );
    const carriedIds = new Set(carried.map((result) => result.taskId));
    const again = earlier.children.filter((child) => !carriedIds.has(child.taskId));
    const earlierRuns = await Promise.all(again.map(async (child) => [child.taskId, await this.retryOfChild(child.taskId)] as const));
    const children = Object.fromEntries(earlierRuns.filter((entry): entry is readonly [string, RetryOf] => entry[1] !== undefined));
    const input: TaskGraphWorkflowInput = {
      ...earlier,
      retryOf: {
        runId: description.runId,
        baseSha: record.graph.baseSha,
        ...(record.branchName && record.commitSha ? { branch: { branchName: record.branchName, commitSha: record.commitSha } } : {}),
        carried,
        children,
      },
    };
    const { parent } = earlier;
    await this.startWorkflow('taskGraphWorkflow', input, {
      taskId: parentTaskId,
      repoPath: repositoryOf(parent),
      priority: parent.priority,
      summary: `${parentTaskId} · graph retry · ${again.length} of ${earlier.children.length} children again`,
      details: taskDetails({ ...parent, taskId: parentTaskId, repoPath: repositoryOf(parent) }),
      taskQueue: description.taskQueue,
    });
    // In the graph's own order (the results are in the order the children ended).
    const carriedTaskIds = earlier.children.map((child) => child.taskId).filter((taskId) => carriedIds.has(taskId));
    return { parentTaskId, retryOfRunId: description.runId, carriedTaskIds, retriedTaskIds: again.map((child) => child.taskId) };
  }

  /**
   * What a graph child that runs again knows of its earlier run: its run id, thread and how it
   * ended; `undefined` for one that never ran (blocked before it had a worktree), which starts afresh.
   */
  private async retryOfChild(taskId: string): Promise<RetryOf | undefined> {
    const [record, description] = await Promise.all([this.getTask(taskId), this.handle(taskId).describe()]);
    if (record.worktreePath === undefined) return undefined;
    return retryOfRun(record, description.runId);
  }

  /**
   * Adds children to a running graph (subtasks): under the graph's rules (new ids, prerequisites in
   * the graph, no cycle), scheduled like the others, starting from their prerequisites' commits
   * (completed ones too), and merged like the others. A prerequisite that already failed blocks
   * the subtask at once.
   * @returns the graph with its new children.
   * @throws ValidationError for a bad child, an unknown prerequisite or a cycle; TaskAlreadyExistsError for a taken id.
   * @throws WrongStateError when the graph has ended; nothing is added.
   */
  async addSubtasks(parentTaskId: string, children: GraphChildInput[]): Promise<TaskGraphSnapshot> {
    const parsed = AddSubtasksRequestSchema.safeParse({ children });
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
    const taken = await this.existingTaskIds(parsed.data.children.map((child) => child.taskId));
    if (taken.length > 0) throw new TaskAlreadyExistsError(taken[0]!);
    await this.decide(
      parentTaskId,
      () => this.handle(parentTaskId).executeUpdate(addSubtasksUpdate, { args: [{ children: parsed.data.children }] }),
      'to take the subtasks',
      hasEnded(parentTaskId),
    );
    return this.getTaskGraph(parentTaskId);
  }

  /**
   * Closes an open graph: it ends once every child has ended.
   * @throws WrongStateError when the graph is not open, or has ended.
   */
  async closeGraph(parentTaskId: string): Promise<TaskRecord> {
    return this.decide(parentTaskId, () => this.handle(parentTaskId).executeUpdate(closeGraphUpdate, { args: [] }), 'to close it', hasEnded(parentTaskId));
  }

  /** A graph's children, the subtasks added while it ran among them, by its parent's id. */
  async listSubtasks(parentTaskId: string): Promise<TaskRecord[]> {
    return (await this.getTaskGraph(parentTaskId)).children;
  }

  /**
   * The task's events as they happen, from `afterSeq` on; the iteration ends once the task has
   * ended (`completed`, `failed` or `cancelled`) and every event has been yielded. It polls every
   * `pollIntervalMs` (default 500); a live task's events are queried, so a worker must be running.
   * @throws TaskNotFoundError when no task has this id (at the first poll).
   */
  async *watchEvents(taskId: string, options: { afterSeq?: number; pollIntervalMs?: number } = {}): AsyncIterable<TaskEvent> {
    let afterSeq = options.afterSeq ?? 0;
    for (;;) {
      const ended = (await this.workflowStatus(taskId)) !== 'RUNNING';
      for (const event of await this.listEvents(taskId, afterSeq)) {
        afterSeq = event.seq;
        yield event;
      }
      if (ended) return;
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 500));
    }
  }

  /**
   * Refuses a message to a task that cannot take it, before it is sent: one that has ended, or,
   * when `states` are given, one in none of them (a signal would be ignored, and the caller would
   * wait for nothing). `Task x was not interrupted: it is completed`; `Task x is already cancelled`.
   */
  private async requireState(taskId: string, verb: string, states?: readonly TaskState[]): Promise<void> {
    const task = await this.describeTask(taskId);
    const state = task.state ?? (task.status === 'RUNNING' ? 'queued' : task.status.toLowerCase());
    if (task.status === 'RUNNING' && (states === undefined || states.includes(state as TaskState))) return;
    if (state === verb) throw new WrongStateError(`Task ${taskId} is already ${verb}`);
    throw new WrongStateError(`Task ${taskId} was not ${verb}: it is ${state}`);
  }

  /**
   * The latest run of a task's workflow, and the input it was started with (its history's first
   * event), read by `schema`; `unreadable` says what follows when that input does not fit it.
   * @throws TaskNotFoundError when no task has this id.
   */
  private async earlierRun<S extends z.ZodType>(
    taskId: string,
    schema: S,
    unreadable = 'so it cannot be retried',
  ): Promise<{ description: WorkflowExecutionDescription; earlier: z.output<S> }> {
    const handle = this.handle(taskId);
    const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]).catch((error: unknown) => {
      // describe() says WorkflowNotFoundError; fetchHistory() (whichever fails first) gRPC's NOT_FOUND as it is.
      throw error instanceof WorkflowNotFoundError || (error as { code?: unknown }).code === GRPC_NOT_FOUND ? new TaskNotFoundError(taskId) : error;
    });
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const parsed = started ? schema.safeParse(defaultPayloadConverter.fromPayload(started)) : undefined;
    if (!parsed?.success) throw new CodexRunnerError(ErrorCode.taskFailed, `Task ${taskId}'s earlier input cannot be read from its history, ${unreadable}`);
    return { description, earlier: parsed.data };
  }

  /**
   * Sends an update (`send`) to a live task, refusing first what cannot take it: an ended task
   * (an update to a closed workflow fails as "workflow not found") or one no worker polls for.
   * `purpose` says what the update is for, and `ended` how to refuse a task that has ended
   * (default: an approval decision).
   */
  private async decide(
    taskId: string,
    send: () => Promise<TaskRecord>,
    purpose = 'to take the decision',
    ended = (state: string) => `Task ${taskId} is not awaiting approval: it is ${state}`,
  ): Promise<TaskRecord> {
    const task = await this.describeTask(taskId);
    if (task.status !== 'RUNNING') throw new WrongStateError(ended(task.state ?? task.status.toLowerCase()));
    await this.requireWorker(taskId, task, `${purpose}; nothing was sent`);
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const refusal = toTaskFailure(error);
      if (refusal.code === ErrorCode.wrongState) throw new WrongStateError(refusal.message);
      if (refusal.code === ErrorCode.validation) throw new ValidationError(refusal.message);
      throw new CodexRunnerError(refusal.code, refusal.message, { cause: error });
    }
  }

  private async graphParent(taskId: string): Promise<TaskRecord> {
    const task = await this.getTask(taskId);
    return task.parentTaskId ? this.getTask(task.parentTaskId) : task;
  }

  /** Which of these ids a running or completed task already has (a failed task's id may be reused). */
  private async existingTaskIds(taskIds: string[]): Promise<string[]> {
    const statuses = await Promise.all(
      taskIds.map(async (taskId) => {
        try {
          return (await this.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe()).status.name;
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return undefined;
          throw error;
        }
      }),
    );
    return taskIds.filter((_, i) => statuses[i] !== undefined && ID_TAKING_STATUSES.has(statuses[i]));
  }

  private handle(taskId: string) {
    return this.temporal.workflow.getHandle<typeof taskWorkflow>(taskWorkflowId(taskId));
  }

  private async workflowStatus(taskId: string): Promise<string> {
    return (await this.describeTask(taskId)).status;
  }

  /**
   * A task's workflow status and state as its workflow last recorded them (its search
   * attributes, from the server: no worker needed, and no lag of the visibility store).
   */
  private async describeTask(taskId: string): Promise<DescribedTask> {
    if (!TaskIdSchema.safeParse(taskId).success) throw new TaskNotFoundError(taskId);
    try {
      const description = await this.handle(taskId).describe();
      return {
        status: description.status.name,
        taskQueue: description.taskQueue,
        state: description.typedSearchAttributes.get(CodexTaskState) as TaskState | undefined,
        parentTaskId: description.typedSearchAttributes.get(CodexParentTaskId),
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError(taskId);
      throw error;
    }
  }

  /** Fails at once when no worker polls the task's queue, rather than waiting for a query or update to time out. */
  private async requireWorker(taskId: string, task: DescribedTask, why: string): Promise<void> {
    const workers = await this.missingWorkers(task.taskQueue);
    if (workers === undefined) return;
    const last = workers.lastPolledAt ? `last polled ${workers.lastPolledAt}` : 'never polled';
    throw new WorkerUnavailableError(
      task.taskQueue,
      `No worker is polling task queue ${task.taskQueue} (${last}), so task ${taskId} (${task.state ?? 'queued'}) has none ${why}: ${startWorkerHint(task.taskQueue)}`,
    );
  }

  /** What the server says of `taskQueue` when no worker polls it; `undefined` when one does (seen within the last few seconds, or asked now). */
  private async missingWorkers(taskQueue: string): Promise<TaskQueueWorkers | undefined> {
    const seenAt = this.workersSeenAt.get(taskQueue);
    if (seenAt !== undefined && Date.now() - seenAt < WORKER_RECHECK_MS) return undefined;
    const workers = await this.findWorkers(taskQueue);
    if (workers.polling.length === 0) return workers;
    this.workersSeenAt.set(taskQueue, Date.now());
    return undefined;
  }

  /** A finished workflow's record: its result, or the record attached to its failure. */
  private async finishedRecord(taskId: string): Promise<TaskRecord> {
    try {
      return await this.handle(taskId).result();
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      const record = taskRecordOf(error);
      if (record) return record;
      if (error.cause instanceof CancelledFailure) return this.queriedRecord(taskId, await this.describeTask(taskId));
      const { code, message } = toTaskFailure(error);
      throw new CodexRunnerError(code, `Task ${taskId} ended without a record: ${message}`, { cause: error });
    }
  }
}

/**
 * `record` as this machine can clean it up: a task on a repository named by its URL has its
 * worktree in its host's mirror, so only there (the same `PLATO_HOME`), with that mirror as its
 * repository; elsewhere undefined.
 */
function onThisHost(record: TaskRecord): TaskRecord | undefined {
  if (record.repoUrl === undefined) return record;
  const mirror = mirrorPathOf(record.repoUrl);
  return record.worktreePath?.startsWith(`${mirror}${path.sep}`) && existsSync(record.worktreePath) ? { ...record, repoPath: mirror } : undefined;
}

/**
 * The work of `record` in a repository on this machine: its path, or, for a repository named by
 * its URL, this machine's mirror of it (fetched when it lacks the work's commits).
 */
async function workHere(record: TaskRecord): Promise<TaskWork> {
  const work = workOf(record);
  if (record.repoUrl === undefined) return work;
  return { ...work, repoPath: await mirrorOf(record.repoUrl, { commits: [work.base, work.commit] }) };
}
