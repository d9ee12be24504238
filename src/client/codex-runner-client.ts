import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { TaskEvent } from '../contracts/events';
import { TASK_QUEUE, taskIdFromWorkflowId, taskWorkflowId } from '../contracts/ids';
import { CodexParentTaskId, CodexPriority, CodexRepoPath, CodexTaskState } from '../contracts/search-attributes';
import { StartTaskInputSchema, TaskIdSchema, type StartTaskInput, type TaskRecord, type TaskState, type TaskWorkflowInput } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import type { taskWorkflow } from '../workflows/task-workflow';
import { eventsQuery, taskQuery } from '../workflows/messages';
import { connectTemporalClient, loadTemporalTarget } from './connection';
import { CodexRunnerError, TaskAlreadyExistsError, TaskNotFoundError, ValidationError } from './errors';
import { eventsFromHistory } from './history-events';
import { temporalPriority } from './priority';
import { checkRepository } from './repository-check';

/** One row of {@link CodexRunnerClient.listTasks}, read from search attributes (no worker involved). */
export interface TaskSummary {
  taskId: string;
  state: TaskState | undefined;
  repoPath: string | undefined;
  priority: number | undefined;
  parentTaskId: string | undefined;
  /** Temporal's own status of the task workflow (RUNNING, COMPLETED, FAILED, …). */
  workflowStatus: string;
  startedAt: string;
  closedAt: string | undefined;
}

export interface ListTasksOptions {
  state?: TaskState;
  parentTaskId?: string;
  repoPath?: string;
  /** At most this many tasks, newest first (default 100). */
  limit?: number;
}

const SUMMARY_MAX_BYTES = 200;

function quoteQueryValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text;
  while (Buffer.byteLength(`${cut}…`) > maxBytes) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * The TypeScript client library of codex-runner: starts and reads tasks without the caller
 * knowing Temporal. Every method throws {@link CodexRunnerError} subclasses with a stable `code`
 * for the failures a caller can act on; other errors (a broken connection mid-call) propagate
 * as Temporal raised them.
 */
export class CodexRunnerClient {
  constructor(readonly temporal: Client) {}

  /**
   * Connects to Temporal through the standard environment configuration
   * (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, profiles).
   * @throws TemporalUnavailableError when the server does not answer.
   */
  static async connect(): Promise<CodexRunnerClient> {
    return new CodexRunnerClient(await connectTemporalClient(loadTemporalTarget()));
  }

  /** Closes the connection this client was connected with. */
  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /**
   * Validates the input, checks the repository (exists, is a git repository root, has the base
   * ref) and starts the task's workflow. Nothing is created when validation fails.
   * @returns the task's record as admitted (`queued`).
   * @throws ValidationError for a bad field (the message names it and the fix).
   * @throws TaskAlreadyExistsError when a running or completed task has this id (a failed task's id may be reused).
   */
  async startTask(input: StartTaskInput): Promise<TaskRecord> {
    const parsed = StartTaskInputSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
    const { taskId = randomUUID(), prompt, priority, baseRef, codex } = parsed.data;
    const repoPath = await checkRepository(parsed.data.repoPath, baseRef);
    const workflowInput: TaskWorkflowInput = {
      taskId,
      repoPath,
      prompt,
      priority,
      ...(baseRef ? { baseRef } : {}),
      ...(codex ? { codex } : {}),
    };
    try {
      await this.temporal.workflow.start<typeof taskWorkflow>('taskWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: taskWorkflowId(taskId),
        args: [workflowInput],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowIdConflictPolicy: 'FAIL',
        priority: temporalPriority(priority),
        typedSearchAttributes: [
          { key: CodexTaskState, value: 'queued' },
          { key: CodexRepoPath, value: repoPath },
          { key: CodexPriority, value: priority },
        ],
        staticSummary: truncateUtf8(`${taskId} · ${repoPath.split('/').at(-1)} · ${prompt.replace(/\s+/g, ' ')}`, SUMMARY_MAX_BYTES),
        staticDetails: [`**Task:** ${taskId}`, `**Repository:** \`${repoPath}\``, `**Priority:** ${priority}`, `**Prompt:**`, '', truncateUtf8(prompt, 8_000)].join('\n'),
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new TaskAlreadyExistsError(taskId);
      throw error;
    }
    const now = new Date().toISOString();
    return { taskId, repoPath, prompt, priority, state: 'queued', ...(baseRef ? { baseRef } : {}), createdAt: now, updatedAt: now };
  }

  /**
   * The task's full record. A finished task is read from its workflow's result (no worker
   * needed); a live one is queried.
   * @throws TaskNotFoundError when no task has this id.
   */
  async getTask(taskId: string): Promise<TaskRecord> {
    const handle = this.handle(taskId);
    const status = await this.workflowStatus(taskId);
    if (status === 'COMPLETED' || status === 'FAILED') return this.finishedRecord(taskId);
    return handle.query(taskQuery);
  }

  /**
   * Waits until the task is finished and returns its final record (`completed` or `failed`).
   * @throws TaskNotFoundError when no task has this id.
   */
  async waitForTask(taskId: string): Promise<TaskRecord> {
    await this.workflowStatus(taskId);
    return this.finishedRecord(taskId);
  }

  /**
   * The task's events with a sequence number above `afterSeq`, in order. A finished task's events
   * are rebuilt from its workflow history alone; a live task is queried.
   * @throws TaskNotFoundError when no task has this id.
   */
  async listEvents(taskId: string, afterSeq = 0): Promise<TaskEvent[]> {
    const status = await this.workflowStatus(taskId);
    if (status !== 'RUNNING') {
      const events = eventsFromHistory(await this.handle(taskId).fetchHistory());
      return events.filter((event) => event.seq > afterSeq);
    }
    return this.handle(taskId).query(eventsQuery, afterSeq);
  }

  /**
   * Tasks matching every given filter, newest first, from Temporal's visibility store (search
   * attributes). Visibility is eventually consistent: a task started a moment ago may be missing.
   */
  async listTasks(options: ListTasksOptions = {}): Promise<TaskSummary[]> {
    const clauses = ['WorkflowType = "taskWorkflow"'];
    if (options.state) clauses.push(`CodexTaskState = ${quoteQueryValue(options.state)}`);
    if (options.parentTaskId) clauses.push(`CodexParentTaskId = ${quoteQueryValue(options.parentTaskId)}`);
    if (options.repoPath) clauses.push(`CodexRepoPath = ${quoteQueryValue(options.repoPath)}`);
    const limit = options.limit ?? 100;
    const tasks: TaskSummary[] = [];
    for await (const execution of this.temporal.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(limit, 1000) })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId);
      if (taskId === undefined) continue;
      const attributes = execution.typedSearchAttributes;
      tasks.push({
        taskId,
        state: attributes.get(CodexTaskState) as TaskState | undefined,
        repoPath: attributes.get(CodexRepoPath),
        priority: attributes.get(CodexPriority),
        parentTaskId: attributes.get(CodexParentTaskId),
        workflowStatus: execution.status.name,
        startedAt: execution.startTime.toISOString(),
        closedAt: execution.closeTime?.toISOString(),
      });
      if (tasks.length >= limit) break;
    }
    return tasks;
  }

  private handle(taskId: string) {
    return this.temporal.workflow.getHandle<typeof taskWorkflow>(taskWorkflowId(taskId));
  }

  private async workflowStatus(taskId: string): Promise<string> {
    if (!TaskIdSchema.safeParse(taskId).success) throw new TaskNotFoundError(taskId);
    try {
      return (await this.handle(taskId).describe()).status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError(taskId);
      throw error;
    }
  }

  /** A finished workflow's record: its result, or the record attached to its failure. */
  private async finishedRecord(taskId: string): Promise<TaskRecord> {
    try {
      return await this.handle(taskId).result();
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
      const record = cause instanceof ApplicationFailure ? (cause.details?.[0] as TaskRecord | undefined) : undefined;
      if (record) return record;
      throw new CodexRunnerError(
        cause instanceof ApplicationFailure && cause.type ? cause.type : 'TASK_FAILED',
        `Task ${taskId} ended without a record: ${(cause ?? (error as Error)).message}`,
        { cause: error },
      );
    }
  }
}
