import { ApplicationFailure, isCancellation, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type { CodexTurnResult, WorktreeAllocation } from '../activities';
import { ErrorCode } from '../contracts/errors';
import { SessionEventBatchSchema } from '../contracts/events';
import { turnOutageOf } from '../contracts/failures';
import { taskWorkflowId } from '../contracts/ids';
import { describeSpan, OutageTracker } from '../contracts/model-outage';
import type { TaskRecord } from '../contracts/records';
import { repoRefOf, repositoryProblem } from '../contracts/repository';
import { TaskWorkflowInputSchema, approvalTimeoutProblem, type TaskWorkflowInput, type ValidTaskWorkflowInput } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import { ApprovalGate } from './approval';
import { GraphMembership, type WorktreeBase } from './graph-membership';
import { HostLost, placedSteps, placeTask, unplacedSteps, type HostSteps } from './host-steps';
import { ignoreSignal, onSignal } from './guarded-handlers';
import { eventsQuery, graphBlockSignal, graphReleaseSignal, sessionEventsSignal, taskQuery } from './messages';
import { OperatorControl } from './operator-control';
import { step, StepFailure } from './step-failure';
import { TaskChecks } from './task-checks';
import { TaskJournal } from './task-journal';
import { CONTINUE_INSTRUCTION, commitMessage, outageInstruction, relocationInstruction, retryInstruction, turnPrompt } from './turn-prompt';

/** Tasks read their repository's `.codex-runner.yaml`, copy and set up their worktree, and verify each turn (task-checks.ts). */
const REPO_CHECKS_PATCH = 'repo-checks';

/** Tasks are placed on one worker host, and every step that touches their worktree runs there (host-steps.ts). */
const HOST_AFFINITY_PATCH = 'host-affinity';

/** What the steps of one task share. */
interface TaskRun {
  input: ValidTaskWorkflowInput;
  journal: TaskJournal;
  control: OperatorControl;
  graph: GraphMembership | undefined;
  approval: ApprovalGate;
  /** The activities of the host the task is placed on. */
  steps: HostSteps;
}

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
  const input = validTaskInput(rawInput);
  const journal = new TaskJournal(input);
  setHandler(taskQuery, () => journal.record);
  setHandler(eventsQuery, (afterSeq = 0) => journal.events.filter((event) => event.seq > afterSeq));
  onSignal(journal, sessionEventsSignal, SessionEventBatchSchema, (batch) => journal.appendSessionEvents(batch));
  const control = new OperatorControl(journal);
  const approval = new ApprovalGate(journal);
  const graph = input.parentTaskId === undefined ? refuseGraphSignals(journal) : new GraphMembership(input, input.parentTaskId, journal);

  const { retryOf } = input;
  if (retryOf) journal.update({ retryOfRunId: retryOf.runId, ...(retryOf.threadId ? { threadId: retryOf.threadId } : {}) });
  journal.emit('task.queued', {
    message: retryOf
      ? `Retry of run ${retryOf.runId}${retryOf.threadId ? `, on thread ${retryOf.threadId}` : ''}`
      : input.parentTaskId
        ? `Child of ${input.parentTaskId}`
        : undefined,
  });
  try {
    const base: WorktreeBase = graph ? await graph.waitForRelease(control) : input.baseRef ? { baseRef: input.baseRef } : {};
    let prompt = retryOf?.threadId ? retryInstruction(retryOf.reason, retryOf.message) : withRetryMessage(turnPrompt(input), retryOf);
    if (!patched(HOST_AFFINITY_PATCH)) {
      await workOnHost({ input, journal, control, approval, graph, steps: unplacedSteps() }, base, prompt);
    } else {
      const first = await placement(input, journal, control);
      if (first.message) prompt = journal.record.threadId ? first.message : `${turnPrompt(input)}\n\n${first.message}`;
      for (let { host } = first; ;) {
        try {
          await workOnHost({ input, journal, control, approval, graph, steps: placedSteps(host) }, base, prompt);
          break;
        } catch (error) {
          if (!(error instanceof HostLost)) throw error;
          prompt = relocationInstruction(turnPrompt(input), journal.events, error.host);
          journal.update({ threadId: undefined });
          ({ host } = await placement(input, journal, control, error.host));
        }
      }
    }
    const { record } = journal;
    journal.setState('completed');
    journal.emit('task.completed', {
      worktreePath: record.worktreePath,
      commitSha: record.commitSha,
      filesChanged: record.filesChanged,
      threadId: record.threadId,
    });
    return record;
  } catch (error) {
    throw endedBy(journal, error);
  }
}

/**
 * The task's work on its host: its worktree and checks, then turns (verified, committed, and
 * approved when the task asks for it) until the work is done.
 * @throws HostLost when the host stops answering: the task moves to another.
 */
async function workOnHost(run: TaskRun, base: WorktreeBase, firstPrompt: string): Promise<void> {
  const { input, journal, control, graph, steps, approval } = run;
  const worktree = await prepareWorktree(run, base);
  const checks = patched(REPO_CHECKS_PATCH)
    ? await TaskChecks.setUp(input, journal, control, steps, worktree, graph?.configSha ?? worktree.baseSha)
    : undefined;
  let prompt = firstPrompt;
  for (;;) {
    const turn = await runTurn(run, worktree, prompt);
    if (checks?.verifies) {
      const verdict = await checks.verify();
      if (verdict.kind === 'next-turn') {
        prompt = verdict.prompt;
        continue;
      }
    }
    const commit = await step(ErrorCode.commitFailed, () =>
      steps.commitTaskWork({
        taskId: input.taskId,
        worktreePath: worktree.worktreePath,
        baseSha: worktree.baseSha,
        message: commitMessage(input.taskId, input.prompt),
        ...(checks?.copied.length ? { leaveOut: checks.copied } : {}),
        ...(input.repoUrl ? { repoUrl: input.repoUrl } : {}),
      }),
    );
    journal.update({ commitSha: commit.commitSha, filesChanged: commit.filesChanged });
    if (!input.requireApproval) return;
    const verified = journal.record.verification ? `\n\nVerification ${journal.record.verification.message}.` : '';
    const decision = await approval.request(commit, `${turn.finalMessage}${verified}`, input.approvalTimeout);
    if (decision.kind === 'approved') return;
    checks?.changesRequested();
    prompt = decision.message ?? CONTINUE_INSTRUCTION;
  }
}

/** A retry without a thread to continue starts over with the prompt, and the operator's message after it. */
function withRetryMessage(prompt: string, retryOf: ValidTaskWorkflowInput['retryOf']): string {
  return retryOf?.message ? `${prompt}\n\n${retryOf.message}` : prompt;
}

/**
 * The input, validated again, and the workflow bound to it: a task started with the plain
 * `temporal` CLI with a bad input, under another workflow id than `codex-task-<taskId>`, or as a
 * child of a graph it does not belong to, fails here at once.
 */
function validTaskInput(rawInput: TaskWorkflowInput): ValidTaskWorkflowInput {
  const parsed = TaskWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`Invalid task input: ${describeIssues(parsed.error)}`, ErrorCode.validation);
  const input = parsed.data;
  const approvalProblem = approvalTimeoutProblem(input);
  if (approvalProblem) throw ApplicationFailure.nonRetryable(`Invalid task input: ${approvalProblem}`, ErrorCode.validation);
  const repositoryIssue = repositoryProblem(input);
  if (repositoryIssue) throw ApplicationFailure.nonRetryable(`Invalid task input: ${repositoryIssue}`, ErrorCode.validation);
  const { workflowId, parent } = workflowInfo();
  if (workflowId !== taskWorkflowId(input.taskId)) {
    throw ApplicationFailure.nonRetryable(
      `workflowId: task ${input.taskId} runs as workflow ${taskWorkflowId(input.taskId)}, not ${workflowId}`,
      ErrorCode.validation,
    );
  }
  if (input.parentTaskId !== undefined && parent?.workflowId !== taskWorkflowId(input.parentTaskId)) {
    throw ApplicationFailure.nonRetryable(
      `parentTaskId: ${input.parentTaskId} did not start this task; a graph's children are started by its graph (codex-runner graph start)`,
      ErrorCode.validation,
    );
  }
  return input;
}

/** A task outside any graph takes no graph signals: they are dropped and recorded. */
function refuseGraphSignals(journal: TaskJournal): undefined {
  const notInGraph = (signal: { name: string }) => () => ignoreSignal(journal, signal.name, `task ${journal.record.taskId} is not part of a graph`);
  onSignal(journal, graphReleaseSignal, z.unknown(), notInGraph(graphReleaseSignal));
  onSignal(journal, graphBlockSignal, z.unknown(), notInGraph(graphBlockSignal));
  return undefined;
}

/**
 * The host the task runs on: the one a retried run was on (its worktree and thread are there),
 * else the first host with a free session slot to take it. An interrupt while the task waits for
 * one parks it; once resumed it waits again, and the operator's message comes back with the host.
 * After `lost` stopped answering, the task is placed again and starts a new thread there
 * (`session.relocated`).
 */
async function placement(
  input: ValidTaskWorkflowInput,
  journal: TaskJournal,
  control: OperatorControl,
  lost?: string,
): Promise<{ host: string; message?: string }> {
  let host = lost === undefined ? input.retryOf?.host : undefined;
  let message: string | undefined;
  while (host === undefined) {
    const placed = await control.interruptible(() =>
      step(ErrorCode.worktreeProvisioningFailed, () => placeTask({ taskId: input.taskId, ...repoRefOf(input) })),
    );
    if (placed) host = placed.host;
    else message = (await control.pauseIfInterrupted()).message ?? message;
  }
  journal.placedOn(host);
  if (lost !== undefined) {
    journal.emit('session.relocated', {
      host,
      message: `Host ${lost} stopped answering: the task continues on host ${host}, on a new Codex thread told what the earlier one did (the thread stayed on ${lost})`,
    });
  }
  return { host, ...(message ? { message } : {}) };
}

/** The runtime check, then the task's branch and worktree (and its context files, if any). */
async function prepareWorktree({ input, journal, steps }: TaskRun, base: WorktreeBase): Promise<WorktreeAllocation> {
  const runtime = await step(ErrorCode.codexRuntimeFailed, () => steps.checkCodexRuntime());
  if (runtime.installEvents) journal.appendSessionEvents({ attempt: 1, events: runtime.installEvents });
  journal.emit('runtime.checked', { version: runtime.version, codexPath: runtime.codexPath, message: `codex ${runtime.version}` });

  const worktree = await step(ErrorCode.worktreeProvisioningFailed, () => steps.provisionWorktree({ taskId: input.taskId, ...repoRefOf(input), ...base }));
  const { worktreePath, branchName, baseSha } = worktree;
  journal.update({ worktreePath, branchName, baseSha });
  journal.emit('worktree.provisioned', {
    worktreePath,
    branchName,
    baseSha,
    message: worktree.reused ? 'Reused the branch or worktree of an earlier attempt' : undefined,
  });

  const artifacts = input.contextPackage?.artifacts ?? [];
  if (artifacts.length > 0) {
    const written = await step(ErrorCode.worktreeProvisioningFailed, () => steps.writeContextArtifacts({ worktreePath, artifacts }));
    journal.emit('task.context.written', { worktreePath, message: `Context artifacts: ${written.join(', ')}` });
  }
  return worktree;
}

/**
 * Runs a Codex turn with `prompt` until one completes: an interrupt parks the task, and its
 * resume runs the next turn on the same thread with the operator's message (or a "continue");
 * a model outage is waited out (see {@link waitOutOutage}).
 */
async function runTurn(run: TaskRun, worktree: WorktreeAllocation, prompt: string): Promise<CodexTurnResult> {
  const { input, journal, control } = run;
  const { record } = journal;
  const outages = new OutageTracker();
  for (;;) {
    const resumption = await control.pauseIfInterrupted();
    if (resumption.resumed) outages.ended();
    if (resumption.resumed && record.threadId !== undefined) prompt = resumption.message ?? CONTINUE_INSTRUCTION;
    else if (resumption.message) prompt = `${turnPrompt(input)}\n\n${resumption.message}`;
    journal.setState('running');
    if (!journal.events.some((event) => event.type === 'task.started')) {
      journal.emit('task.started', { worktreePath: worktree.worktreePath, branchName: worktree.branchName });
    }
    const turn = await control.interruptible(() => codexTurn(run, worktree, prompt));
    if (turn === undefined) continue;
    if ('outage' in turn) {
      prompt = await waitOutOutage(run, outages, turn.outage, prompt);
      continue;
    }
    outages.ended();
    // A completed turn hands its last session events over in its result (older ones were signalled).
    if (turn.sessionEvents) journal.appendSessionEvents(turn.sessionEvents);
    journal.update({ threadId: turn.threadId, finalMessage: turn.finalMessage, ...(turn.usage ? { usage: turn.usage } : {}) });
    return turn;
  }
}

type TurnOutage = NonNullable<ReturnType<typeof turnOutageOf>>;

/** One Codex turn, or the outage it met; any other failure ends the task. */
async function codexTurn(
  { input, journal, graph, steps }: TaskRun,
  worktree: WorktreeAllocation,
  prompt: string,
): Promise<CodexTurnResult | { outage: TurnOutage }> {
  const { record } = journal;
  try {
    return await steps.runCodexTurn({
      taskId: input.taskId,
      worktreePath: worktree.worktreePath,
      prompt,
      // Where the runner left the worktree: spares the session a `git rev-parse HEAD`.
      worktreeHead: record.commitSha ?? worktree.baseSha,
      ...(record.threadId ? { threadId: record.threadId } : {}),
      ...(input.codex ? { codex: input.codex } : {}),
      ...(graph?.reportsSessions ? { parentTaskId: input.parentTaskId } : {}),
    });
  } catch (error) {
    if (isCancellation(error) || error instanceof HostLost) throw error;
    const outage = turnOutageOf(error);
    if (outage) return { outage };
    throw StepFailure.of(error, ErrorCode.codexTurnFailed);
  }
}

/**
 * A model outage (429, 5xx, a dropped stream, a turn that reported nothing) is waited out: the
 * turn is retried on the same thread after a growing wait, for the outage window the session's
 * host or task sets, and then fails with the last reason. The wait is recorded as
 * `session.retrying` and can be interrupted. Returns the next turn's instruction.
 *
 * Only the session activity's outage codes lead here, which no earlier worker sent: histories
 * recorded before this rule have none, so their commands are unchanged.
 */
async function waitOutOutage({ journal, control }: TaskRun, outages: OutageTracker, { failure, windowMs }: TurnOutage, prompt: string): Promise<string> {
  const verdict = outages.failed(Date.now(), windowMs);
  if (verdict.kind === 'give-up') {
    const tried = verdict.retries === 0 ? 'not retried' : `retried ${verdict.retries} time(s) over ${describeSpan(verdict.elapsedMs)}`;
    throw new StepFailure({ code: failure.code, message: `${failure.message} (${tried}; outage window ${describeSpan(windowMs)})` });
  }
  journal.emit('session.retrying', {
    errorCode: failure.code,
    message: `${failure.message}. Retry ${verdict.retry} on the same thread in ${describeSpan(verdict.delayMs)}, waiting out the outage for up to ${describeSpan(windowMs)}`,
    threadId: journal.record.threadId,
  });
  await control.interruptible(() => sleep(verdict.delayMs));
  return journal.record.threadId === undefined ? prompt : outageInstruction(failure.message);
}

/**
 * Records how a task ended that did not complete, and returns what its workflow throws: a
 * cancellation ends it Canceled (the session was aborted, the worktree stays), a failed step
 * fails it with the task record in the failure's details.
 */
function endedBy(journal: TaskJournal, error: unknown): unknown {
  const { record } = journal;
  if (isCancellation(error)) {
    journal.update({ failure: { code: ErrorCode.cancelled, message: `Task ${record.taskId} was cancelled` } });
    journal.setState('cancelled');
    journal.emit('task.cancelled', { worktreePath: record.worktreePath, threadId: record.threadId });
    return error;
  }
  if (!(error instanceof StepFailure)) return error;
  if (error.reported.length > 0) journal.appendSessionEvents({ attempt: 1, events: error.reported });
  journal.update({ failure: error.failure });
  journal.setState('failed');
  journal.emit('task.failed', { errorCode: error.failure.code, message: error.failure.message, worktreePath: record.worktreePath });
  return ApplicationFailure.create({ type: error.failure.code, message: error.failure.message, nonRetryable: true, details: [record] });
}
