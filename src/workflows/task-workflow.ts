import { ActivityFailure, ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorCode, type TaskFailure } from '../contracts/errors';
import { SESSION_TASK_QUEUE } from '../contracts/ids';
import { TaskWorkflowInputSchema, type TaskRecord, type TaskWorkflowInput, type ValidTaskWorkflowInput } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import {
  eventsQuery,
  graphBlockSignal,
  graphReleaseSignal,
  sessionEventsSignal,
  taskQuery,
  type GraphBlock,
  type GraphRelease,
} from './messages';
import { TaskJournal } from './task-journal';

// A broken codex install does not heal by retrying; the activity marks its failures non-retryable.
const { checkCodexRuntime } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

// Git bookkeeping is idempotent and quick; retry transient failures (locks, a busy disk) a few times.
const { provisionWorktree, commitTaskWork } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

// The Codex turn: long, heartbeating, on the session queue whose slots bound sessions per host.
// A retry after a crash resumes the same thread, so it is safe; agent failures are non-retryable.
const { runCodexTurn } = proxyActivities<Activities>({
  taskQueue: SESSION_TASK_QUEUE,
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A failed step, with the code to report when the failure itself carries none. */
class StepFailure extends Error {
  constructor(readonly failure: TaskFailure) {
    super(failure.message);
  }
}

async function step<T>(defaultCode: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (cause instanceof ApplicationFailure && cause.type && cause.type !== 'Error') {
      throw new StepFailure({ code: cause.type, message: cause.message });
    }
    throw new StepFailure({ code: defaultCode, message: cause instanceof Error ? cause.message : String(cause) });
  }
}

/**
 * One task: `queued` → `running` → `completed` | `failed`.
 *
 * Checks the codex runtime, gives the task its branch and worktree, runs a Codex turn there and
 * commits what the agent changed on the task branch. The Temporal status mirrors the outcome:
 * a failed task fails the workflow (with the task record in the failure's details).
 */
export async function taskWorkflow(rawInput: TaskWorkflowInput): Promise<TaskRecord> {
  const parsed = TaskWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`Invalid task input: ${describeIssues(parsed.error)}`, ErrorCode.validation);
  }
  const input = parsed.data;
  const journal = new TaskJournal(input);
  setHandler(taskQuery, () => journal.record);
  setHandler(eventsQuery, (afterSeq = 0) => journal.events.filter((event) => event.seq > afterSeq));
  setHandler(sessionEventsSignal, (batch) => journal.appendSessionEvents(batch));
  let gate: GraphRelease | GraphBlock | undefined;
  setHandler(graphReleaseSignal, (release) => void (gate ??= release));
  setHandler(graphBlockSignal, (block) => void (gate ??= block));

  journal.emit('task.queued', { message: input.parentTaskId ? `Child of ${input.parentTaskId}` : undefined });
  try {
    let base: { baseRef?: string; mergeRefs?: string[]; mergeDate?: string } = input.baseRef ? { baseRef: input.baseRef } : {};
    if (input.parentTaskId) {
      // A graph child exists (listable, queryable) from the start, but runs only when its
      // parent releases it: every prerequisite completed and the graph has a free slot.
      await condition(() => gate !== undefined);
      base = startGraphChild(journal, input.parentTaskId, gate!);
    }

    const runtime = await step(ErrorCode.codexRuntimeFailed, () => checkCodexRuntime());
    journal.emit('runtime.checked', { version: runtime.version, codexPath: runtime.codexPath, message: `codex ${runtime.version}` });

    const worktree = await step(ErrorCode.worktreeProvisioningFailed, () =>
      provisionWorktree({ taskId: input.taskId, repoPath: input.repoPath, ...base }),
    );
    journal.update({ worktreePath: worktree.worktreePath, branchName: worktree.branchName, baseSha: worktree.baseSha });
    journal.emit('worktree.provisioned', {
      worktreePath: worktree.worktreePath,
      branchName: worktree.branchName,
      baseSha: worktree.baseSha,
      message: worktree.reused ? 'Reused the branch or worktree of an earlier attempt' : undefined,
    });

    journal.setState('running');
    journal.emit('task.started', { worktreePath: worktree.worktreePath, branchName: worktree.branchName });
    const turn = await step(ErrorCode.codexTurnFailed, () =>
      runCodexTurn({
        taskId: input.taskId,
        worktreePath: worktree.worktreePath,
        prompt: turnPrompt(input),
        ...(input.codex ? { codex: input.codex } : {}),
      }),
    );
    journal.update({ threadId: turn.threadId, finalMessage: turn.finalMessage, ...(turn.usage ? { usage: turn.usage } : {}) });

    const commit = await step(ErrorCode.commitFailed, () =>
      commitTaskWork({
        taskId: input.taskId,
        worktreePath: worktree.worktreePath,
        baseSha: worktree.baseSha,
        message: commitMessage(input.taskId, input.prompt),
      }),
    );
    journal.update({ commitSha: commit.commitSha, filesChanged: commit.filesChanged });
    journal.setState('completed');
    journal.emit('task.completed', {
      worktreePath: worktree.worktreePath,
      commitSha: commit.commitSha,
      filesChanged: commit.filesChanged,
      threadId: turn.threadId,
    });
    return journal.record;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    journal.update({ failure: error.failure });
    journal.setState('failed');
    journal.emit('task.failed', { errorCode: error.failure.code, message: error.failure.message, worktreePath: journal.record.worktreePath });
    throw ApplicationFailure.create({
      type: error.failure.code,
      message: error.failure.message,
      nonRetryable: true,
      details: [journal.record],
    });
  }
}

/** Releases a graph child, or ends it when a prerequisite failed; returns where its branch starts. */
function startGraphChild(journal: TaskJournal, parentTaskId: string, gate: GraphRelease | GraphBlock) {
  const dependencyTaskIds = journal.record.dependencyTaskIds ?? [];
  if ('rootCause' in gate) {
    const message = `Blocked by failed graph dependency ${gate.blockedByTaskIds.join(', ')} (root cause: ${gate.rootCause.taskId} ${gate.rootCause.code}: ${gate.rootCause.message})`;
    journal.emit('task.graph.dependency.blocked', {
      parentTaskId,
      dependencyTaskIds,
      blockedByTaskIds: gate.blockedByTaskIds,
      errorCode: ErrorCode.graphDependencyFailed,
      message,
    });
    throw new StepFailure({ code: ErrorCode.graphDependencyFailed, message });
  }
  for (const { taskId, commitSha } of gate.satisfied) {
    journal.emit('task.graph.dependency.satisfied', { parentTaskId, dependencyTaskId: taskId, dependencyTaskIds, commitSha });
  }
  journal.emit('task.graph.worker.started', { parentTaskId, dependencyTaskIds, baseSha: gate.baseSha });
  return { baseRef: gate.baseSha, mergeRefs: gate.mergeShas, mergeDate: new Date().toISOString() };
}

/** A graph child's turn is told the overall goal and that it works on one part of it. */
function turnPrompt(input: ValidTaskWorkflowInput): string {
  if (input.goal === undefined) return input.prompt;
  const prerequisites = input.dependencyTaskIds?.length
    ? `\n\nYour working directory already contains the work of the tasks yours builds on: ${input.dependencyTaskIds.join(', ')}.`
    : '';
  return [
    'You are one of several agents working toward a larger goal; each works on its own part, on its own branch.',
    `Overall goal:\n${input.goal}`,
    `Your part (task ${input.taskId}):\n${input.prompt}${prerequisites}`,
  ].join('\n\n');
}

function commitMessage(taskId: string, prompt: string): string {
  const firstLine = prompt.split('\n')[0]!.trim();
  const subject = firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : firstLine;
  return `codex-runner: ${subject}\n\nTask: ${taskId}\n`;
}
