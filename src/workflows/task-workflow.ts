import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { contextInstructions } from '../contracts/context-package';
import { ErrorCode, type TaskFailure } from '../contracts/errors';
import { SESSION_TASK_QUEUE, taskWorkflowId } from '../contracts/ids';
import {
  TaskWorkflowInputSchema,
  type ApprovalRecord,
  type TaskRecord,
  type TaskState,
  type TaskWorkflowInput,
  type ValidTaskWorkflowInput,
} from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import {
  approveUpdate,
  childStateSignal,
  eventsQuery,
  graphBlockSignal,
  interruptSignal,
  rejectUpdate,
  requestChangesUpdate,
  resumeSignal,
  type ApproveRequest,
  type RejectRequest,
  type RequestChangesRequest,
  graphReleaseSignal,
  sessionEventsSignal,
  taskQuery,
  type GraphBlock,
  type GraphRelease,
} from './messages';
import { TaskJournal } from './task-journal';

/**
 * How long a dead worker's turn goes unnoticed before another worker retries it. The activity
 * heartbeats every second, so even a long silent tool phase keeps it alive.
 */
const SESSION_HEARTBEAT_TIMEOUT = '15 seconds';

/** An approval without a timeout waits as long as Temporal lets a timer run (practically forever). */
const MAX_APPROVAL_WAIT = '3650d';

const now = () => new Date().toISOString();

const KNOWN_ERROR_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Patch id for changes made together (one marker per task instead of several):
 * - The journal writes the events of one workflow activation in one memo upsert (TaskJournal).
 * - The host steps around a session (the runtime check, the worktree, context files, the commit)
 *   run as local activities.
 * - A graph child does not tell its parent it is `running` when the parent released it (the
 *   parent counted it running when it sent the release); later slot changes are still signalled.
 *
 * Histories recorded before this patch replay the earlier way (test/histories).
 */
const LEAN_TASK = 'lean-task';

// A broken codex install does not heal by retrying; the activity marks those failures non-retryable.
// It may install codex from npm (about 400 MB on a first download).
const runtimeCheckOptions = { startToCloseTimeout: '15 minutes', retry: { maximumAttempts: 3 } } as const;
// Git bookkeeping is idempotent and quick; retry transient failures (locks, a busy disk) a few times.
const gitStepOptions = { startToCloseTimeout: '2 minutes', retry: { initialInterval: '1 second', maximumAttempts: 5 } } as const;

/**
 * The host steps, as local activities (`lean-task`) or as the ordinary activities they were. As
 * local activities they run in the worker that runs the workflow task, recorded as one marker
 * each, with no round trip through a task queue (before: a scheduled, a started and a completed
 * event and a workflow task of their own each). They are idempotent and short, which is what
 * local activities are for; a worker killed inside one fails its workflow task, and the next
 * worker replays the workflow and runs the step again (after the 10 s workflow task timeout, not
 * an activity's start-to-close timeout).
 */
const hostSteps = {
  local: {
    ...pickHostSteps(proxyLocalActivities<Activities>(gitStepOptions)),
    checkCodexRuntime: proxyLocalActivities<Activities>(runtimeCheckOptions).checkCodexRuntime,
  },
  remote: {
    ...pickHostSteps(proxyActivities<Activities>(gitStepOptions)),
    checkCodexRuntime: proxyActivities<Activities>({ ...runtimeCheckOptions, heartbeatTimeout: '1 minute' }).checkCodexRuntime,
  },
};

function pickHostSteps({ provisionWorktree, commitTaskWork, writeContextArtifacts }: Activities) {
  return { provisionWorktree, commitTaskWork, writeContextArtifacts };
}

// The Codex turn: long, heartbeating, on the session queue whose slots bound sessions per host.
// A retry after a crash resumes the same thread, so it is safe; agent failures are non-retryable.
// Interrupt and cancel wait until the activity confirms: its codex process is really gone.
const { runCodexTurn } = proxyActivities<Activities>({
  taskQueue: SESSION_TASK_QUEUE,
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: SESSION_HEARTBEAT_TIMEOUT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
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
    if (isCancellation(error)) throw error;
    const cause = error instanceof ActivityFailure ? error.cause : error;
    // Only our own codes become the task's code: a plain error thrown by a library carries its
    // (possibly minified) class name as its type, which means nothing to a user.
    if (cause instanceof ApplicationFailure && cause.type && KNOWN_ERROR_CODES.has(cause.type)) {
      throw new StepFailure({ code: cause.type, message: cause.message });
    }
    throw new StepFailure({ code: defaultCode, message: cause instanceof Error ? cause.message : String(cause) });
  }
}

const CONTINUE_INSTRUCTION = 'Continue the task where you left off.';

/**
 * One task: `queued` → `running` → `completed` | `failed`, with the operator's detours:
 * `interrupted` (signal `interrupt`, then `resume`), `awaiting_approval` (updates `approve`,
 * `reject`, `requestChanges`) and `cancelled` (Temporal's own workflow cancellation).
 *
 * Checks the codex runtime, gives the task its branch and worktree, runs Codex turns there and
 * commits what the agent changed on the task branch. A graph child first waits until its parent
 * releases it. The Temporal status mirrors the outcome: a failed task fails the workflow (with
 * the task record in the failure's details), a cancelled one ends Canceled.
 */
export async function taskWorkflow(rawInput: TaskWorkflowInput): Promise<TaskRecord> {
  const parsed = TaskWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`Invalid task input: ${describeIssues(parsed.error)}`, ErrorCode.validation);
  }
  const input = parsed.data;
  const lean = patched(LEAN_TASK);
  const { checkCodexRuntime, provisionWorktree, writeContextArtifacts, commitTaskWork } = lean ? hostSteps.local : hostSteps.remote;
  const journal = new TaskJournal(input, { lean });
  const record = journal.record;
  const parentHandle = input.parentTaskId ? getExternalWorkflowHandle(taskWorkflowId(input.parentTaskId)) : undefined;
  let parentTold = false;
  const setState = (state: TaskState) => {
    const before = record.state;
    journal.setState(state);
    // A graph's parent counts its running children against the graph's limit: a child that
    // waits for approval or is interrupted runs nothing and must not hold a slot.
    const holdsSlotChange = state === 'running' || state === 'awaiting_approval' || state === 'interrupted' || state === 'queued';
    // The parent marked a released child running itself: only later changes are news to it.
    const parentKnows = lean && !parentTold && state === 'running';
    // Graph children recorded before this signal existed replay without it (test/histories).
    if (parentHandle && before !== state && holdsSlotChange && !parentKnows && patched('child-state-signal')) {
      parentTold = true;
      void parentHandle.signal(childStateSignal, { taskId: input.taskId, state }).catch(() => undefined);
    }
  };

  let gate: GraphRelease | GraphBlock | undefined = input.release;
  let interruptRequest: { reason?: string } | undefined;
  let resumeRequest: { message?: string } | undefined;
  let decision: NonNullable<ApprovalRecord['decision']> | undefined;
  let turnScope: CancellationScope | undefined;

  setHandler(taskQuery, () => record);
  setHandler(eventsQuery, (afterSeq = 0) => journal.events.filter((event) => event.seq > afterSeq));
  setHandler(sessionEventsSignal, (batch) => journal.appendSessionEvents(batch));
  setHandler(graphReleaseSignal, (release) => void (gate ??= release));
  setHandler(graphBlockSignal, (block) => void (gate ??= block));
  setHandler(interruptSignal, (request = {}) => {
    // Only a queued or running task can be interrupted; the CLI reports when it did not happen.
    if (record.state !== 'queued' && record.state !== 'running') return;
    interruptRequest ??= request;
    turnScope?.cancel();
  });
  setHandler(resumeSignal, (request = {}) => {
    if (record.state === 'interrupted') resumeRequest ??= request;
  });
  const awaitingApproval = () => {
    if (record.state !== 'awaiting_approval' || decision !== undefined) {
      throw ApplicationFailure.create({ type: ErrorCode.wrongState, message: `Task ${input.taskId} is not awaiting approval (it is ${record.state})` });
    }
  };
  const decided = async () => {
    await condition(() => record.state !== 'awaiting_approval');
    return record;
  };
  setHandler(approveUpdate, async (request) => {
    // The plain temporal CLI may send no input at all.
    const { by, comment } = (request as ApproveRequest | undefined) ?? {};
    decision = { kind: 'approved', ...(by ? { by } : {}), ...(comment ? { message: comment } : {}), at: now() };
    return decided();
  }, { validator: (_request?: ApproveRequest) => awaitingApproval() });
  setHandler(rejectUpdate, async (request) => {
    decision = { kind: 'rejected', ...(request.by ? { by: request.by } : {}), message: request.reason, at: now() };
    return decided();
  }, {
    validator: (request: RejectRequest) => {
      awaitingApproval();
      if (!request?.reason?.trim()) throw ApplicationFailure.create({ type: ErrorCode.validation, message: 'reason: a rejection needs a reason' });
    },
  });
  setHandler(requestChangesUpdate, async (request) => {
    decision = { kind: 'changes_requested', ...(request.by ? { by: request.by } : {}), message: request.message, at: now() };
    return decided();
  }, {
    validator: (request: RequestChangesRequest) => {
      awaitingApproval();
      if (!request?.message?.trim()) throw ApplicationFailure.create({ type: ErrorCode.validation, message: 'message: say which changes you want' });
    },
  });

  /** Parks the task while it is interrupted; returns the resume message (if any) once resumed. */
  const pauseIfInterrupted = async (): Promise<{ resumed: boolean; message?: string }> => {
    if (interruptRequest === undefined) return { resumed: false };
    const stateBefore = record.state;
    setState('interrupted');
    journal.emit('task.interrupted', {
      message: interruptRequest.reason,
      worktreePath: record.worktreePath,
      threadId: record.threadId,
    });
    interruptRequest = undefined;
    await condition(() => resumeRequest !== undefined);
    const { message } = resumeRequest!;
    resumeRequest = undefined;
    journal.emit('task.resumed', { message, worktreePath: record.worktreePath, threadId: record.threadId });
    setState(stateBefore === 'running' ? 'running' : 'queued');
    return { resumed: true, ...(message ? { message } : {}) };
  };

  journal.emit('task.queued', { message: input.parentTaskId ? `Child of ${input.parentTaskId}` : undefined });
  try {
    let base: { baseRef?: string; mergeRefs?: string[]; mergeDate?: string } = input.baseRef ? { baseRef: input.baseRef } : {};
    if (input.parentTaskId) {
      // A graph child exists (listable, queryable) from the start, but runs only when its
      // parent releases it: every prerequisite completed and the graph has a free slot. A child
      // ready when the graph started comes released (input.release).
      while (gate === undefined) {
        await condition(() => gate !== undefined || interruptRequest !== undefined);
        await pauseIfInterrupted();
      }
      base = startGraphChild(journal, input.parentTaskId, gate);
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

    if (input.contextPackage?.artifacts.length) {
      const written = await step(ErrorCode.worktreeProvisioningFailed, () =>
        writeContextArtifacts({ worktreePath: worktree.worktreePath, artifacts: input.contextPackage!.artifacts }),
      );
      journal.emit('task.context.written', { worktreePath: worktree.worktreePath, message: `Context artifacts: ${written.join(', ')}` });
    }

    let prompt = turnPrompt(input);
    let started = false;
    for (;;) {
      const pause = await pauseIfInterrupted();
      if (pause.resumed && record.threadId !== undefined) prompt = pause.message ?? CONTINUE_INSTRUCTION;
      else if (pause.message) prompt = `${turnPrompt(input)}\n\n${pause.message}`;
      setState('running');
      if (!started) journal.emit('task.started', { worktreePath: worktree.worktreePath, branchName: worktree.branchName });
      started = true;

      const scope = new CancellationScope();
      turnScope = scope;
      let turn: Awaited<ReturnType<Activities['runCodexTurn']>>;
      try {
        turn = await scope.run(() =>
          step(ErrorCode.codexTurnFailed, () =>
            runCodexTurn({
              taskId: input.taskId,
              worktreePath: worktree.worktreePath,
              prompt,
              // Where the runner left the worktree: spares the session a `git rev-parse HEAD`.
              worktreeHead: record.commitSha ?? worktree.baseSha,
              ...(record.threadId ? { threadId: record.threadId } : {}),
              ...(input.codex ? { codex: input.codex } : {}),
              // A child released while its graph keeps the order tells the parent about its sessions.
              ...(input.parentTaskId && gate && 'baseSha' in gate && gate.tellSession ? { parentTaskId: input.parentTaskId } : {}),
            }),
          ),
        );
      } catch (error) {
        // An operator's interrupt cancelled the turn (or the turn ended some other way while
        // one was pending): park the task; anything else, including a cancel, goes on up.
        if (interruptRequest !== undefined && !(isCancellation(error) && CancellationScope.current().consideredCancelled)) continue;
        throw error;
      } finally {
        turnScope = undefined;
      }
      // A completed turn hands its last session events over in its result (older ones signalled them).
      if (turn.sessionEvents) journal.appendSessionEvents(turn.sessionEvents);
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
      if (!input.requireApproval) break;

      decision = undefined;
      journal.update({ approval: { requestedAt: now(), diffStat: commit.diffStat, finalMessage: turn.finalMessage } });
      setState('awaiting_approval');
      journal.emit('task.awaiting_approval', { commitSha: commit.commitSha, diffStat: commit.diffStat, message: turn.finalMessage });
      const answered = await condition(() => decision !== undefined, input.approvalTimeout ?? MAX_APPROVAL_WAIT);
      const outcome = answered ? decision! : { kind: 'timed_out' as const, at: now() };
      journal.update({ approval: { ...record.approval!, decision: outcome } });
      if (outcome.kind === 'approved') {
        journal.emit('task.approval.granted', { actor: outcome.by, message: outcome.message, commitSha: commit.commitSha });
        break;
      }
      if (outcome.kind === 'rejected') {
        journal.emit('task.approval.rejected', { actor: outcome.by, message: outcome.message });
        throw new StepFailure({ code: ErrorCode.approvalRejected, message: `Rejected${outcome.by ? ` by ${outcome.by}` : ''}: ${outcome.message ?? ''}` });
      }
      if (outcome.kind === 'timed_out') {
        journal.emit('task.approval.timed_out', { message: `No decision within ${input.approvalTimeout}` });
        throw new StepFailure({ code: ErrorCode.approvalTimedOut, message: `No approval decision within ${input.approvalTimeout}` });
      }
      journal.emit('task.changes_requested', { actor: outcome.by, message: outcome.message });
      prompt = outcome.message ?? CONTINUE_INSTRUCTION;
    }

    setState('completed');
    journal.emit('task.completed', {
      worktreePath: worktree.worktreePath,
      commitSha: record.commitSha,
      filesChanged: record.filesChanged,
      threadId: record.threadId,
    });
    return record;
  } catch (error) {
    if (isCancellation(error)) {
      // Temporal's own cancel: the session was aborted by the scope's cancellation; the
      // worktree stays. End Canceled so the Web UI and status filters tell the truth.
      journal.update({ failure: { code: ErrorCode.cancelled, message: `Task ${input.taskId} was cancelled` } });
      setState('cancelled');
      journal.emit('task.cancelled', { worktreePath: record.worktreePath, threadId: record.threadId });
      throw error;
    }
    if (!(error instanceof StepFailure)) throw error;
    journal.update({ failure: error.failure });
    setState('failed');
    journal.emit('task.failed', { errorCode: error.failure.code, message: error.failure.message, worktreePath: record.worktreePath });
    throw ApplicationFailure.create({
      type: error.failure.code,
      message: error.failure.message,
      nonRetryable: true,
      details: [record],
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
  const context = input.contextPackage ? contextInstructions(input.contextPackage) : '';
  const withContext = (prompt: string) => (context ? `${prompt}\n\n${context}` : prompt);
  if (input.goal === undefined) return withContext(input.prompt);
  const prerequisites = input.dependencyTaskIds?.length
    ? `\n\nYour working directory already contains the work of the tasks yours builds on: ${input.dependencyTaskIds.join(', ')}.`
    : '';
  return withContext(
    [
      'You are one of several agents working toward a larger goal; each works on its own part, on its own branch.',
      `Overall goal:\n${input.goal}`,
      `Your part (task ${input.taskId}):\n${input.prompt}${prerequisites}`,
    ].join('\n\n'),
  );
}

function commitMessage(taskId: string, prompt: string): string {
  const firstLine = prompt.split('\n')[0]!.trim();
  const subject = firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : firstLine;
  return `codex-runner: ${subject}\n\nTask: ${taskId}\n`;
}
