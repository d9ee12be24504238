import { Context, ApplicationFailure } from '@temporalio/activity';
import type { Thread, ThreadEvent, ThreadOptions } from '@openai/codex-sdk' with { 'resolution-mode': 'import' };
import { ErrorCode } from '../contracts/errors';
import type { SessionEventBatch, SessionEventInput } from '../contracts/events';
import type { CodexTaskOptions, TokenUsage } from '../contracts/task';
import { taskWorkflowId } from '../contracts/ids';
import { graphSessionSignal, taskQuery } from '../workflows/messages';
import { DEFAULT_OUTAGE_WINDOW, DEFAULT_TURN_INACTIVITY_TIMEOUT, describeSpan, isTransientModelFailure, type OutageDetails } from '../contracts/model-outage';
import { durationMs } from '../contracts/task';
import { codexLaunch, type CodexBinary } from '../host/codex-binary';
import { git } from '../host/git';
import { runtimeCheck } from './check-codex-runtime';
import { readSessionCheckpoint, type SessionCheckpointV1 } from './heartbeat-details';
import { heartbeatWhile } from './heartbeat-while';
import type { HostSettings } from './host-settings';
import { InactivityWatch } from './inactivity-watch';
import { normalizeCodexItem, normalizeUsage } from './normalize-codex-item';
import { stopCodexProcessesIn } from './orphaned-codex';
import { SessionEventPublisher } from './session-event-publisher';

export interface CodexTurnInput {
  taskId: string;
  worktreePath: string;
  /** The instruction for this turn. */
  prompt: string;
  /** The thread to continue; a new thread is started when absent. */
  threadId?: string;
  /** The commit the worktree is at, when the workflow knows it (saves a `git rev-parse HEAD`). */
  worktreeHead?: string;
  codex?: CodexTaskOptions;
  /** A graph child's parent task, told when this turn has a session slot and when it gives it up (`graphSession`). */
  parentTaskId?: string;
}

export interface CodexTurnResult {
  threadId: string;
  /** The agent's last message of the turn. */
  finalMessage: string;
  usage?: TokenUsage;
  /** The turn's last events, not signalled yet: the workflow appends them when the turn completes. */
  sessionEvents?: SessionEventBatch;
}

/**
 * Heartbeat period. The heartbeat timeout is 15 s; beating on a timer (not only when Codex emits
 * something) keeps a long silent tool phase from looking like a dead worker, and lets an
 * interrupt (delivered only through a heartbeat response) reach the turn within about a second
 * (the worker throttles heartbeats to one per `maxHeartbeatThrottleInterval`, see run-worker.ts).
 */
export const HEARTBEAT_INTERVAL_MS = 1_000;

const RECOVERY_INSTRUCTION =
  'Your previous turn on this task was cut off because the runner restarted. Check the state of the working directory and continue the task where you left off.';

/** The turn's part of the task: its thread, and what it saw until it ended. */
interface TurnState {
  threadId: string | undefined;
  finalMessage: string;
  usage?: TokenUsage;
  failure?: string;
}

/**
 * Runs one Codex turn in the task's worktree through `@openai/codex-sdk`.
 *
 * - Heartbeats on a timer with a {@link SessionCheckpointV1}; the thread id also goes to the
 *   workflow with the next batch of events, because the latest heartbeat can be lost in a crash.
 * - Sends normalized events (`session.*`) to the workflow while the turn runs, from the turn's
 *   `session.started` (with its thread) to its `session.exited`; what Codex reports going wrong
 *   is also a `session.output` on `stderr`, as the reference's session adapter records it.
 * - Activity cancellation (interrupt, cancel, worker shutdown) aborts the turn through the SDK's
 *   AbortSignal, which ends the codex process.
 * - A retry (attempt > 1) first stops any codex process a dead worker left in the worktree, then
 *   resumes the same thread with a "continue" instruction and records `session.recovered`.
 * - A graph child whose parent keeps the graph's order tells the parent when the turn has its
 *   session slot and, before it frees the slot, that it is giving it up.
 * - Checks the runtime and the credential on this host, where codex runs (the task's own check
 *   may have run on another worker), and runs the binary that check verified.
 * - Ends a turn whose codex reports nothing for `codex.turnInactivityTimeout`.
 *
 * None of its failures is retried by Temporal (a retry is for a worker that died): the workflow
 * waits out a model outage itself, so it stays visible and interruptible.
 *
 * @throws ApplicationFailure `CODEX_MODEL_UNAVAILABLE` (429, 5xx, a dropped stream) or
 *   `CODEX_TURN_STALLED` (nothing for the inactivity timeout), with {@link OutageDetails};
 *   `CODEX_TURN_FAILED` when the turn failed for any other reason; the runtime check's codes.
 */
export function createRunCodexTurn(settings: HostSettings) {
  return async function runCodexTurn(input: CodexTurnInput): Promise<CodexTurnResult> {
    const context = Context.current();
    const { workflowExecution } = context.info;
    if (workflowExecution === undefined) {
      throw ApplicationFailure.nonRetryable('runCodexTurn must run inside a task workflow', ErrorCode.codexTurnFailed);
    }
    const tellGraph = graphSessionReporter(context, input);
    void tellGraph('started');
    try {
      return await runTurn(context, input, settings, workflowExecution);
    } finally {
      // Before the slot is freed: the parent must hear that this session ended before it hears
      // that another child took the slot (it then waits for this child's outcome).
      await tellGraph('ended');
    }
  };
}

/** Signals a graph child's parent about this turn's session slot; a no-op outside a graph that keeps its order. */
function graphSessionReporter(context: Context, { parentTaskId, taskId }: CodexTurnInput): (session: 'started' | 'ended') => Promise<void> {
  if (parentTaskId === undefined) return () => Promise.resolve();
  const parent = context.client.workflow.getHandle(taskWorkflowId(parentTaskId));
  return (session) =>
    parent.signal(graphSessionSignal, { taskId, session }).catch((error: unknown) => {
      context.log.warn(`Could not tell the graph that this turn ${session}`, { error: String(error) });
    });
}

/** The turn itself, within a task workflow's execution (`workflowExecution`). */
async function runTurn(
  context: Context,
  input: CodexTurnInput,
  settings: HostSettings,
  workflowExecution: { workflowId: string; runId: string },
): Promise<CodexTurnResult> {
  const { attempt } = context.info;
  const workflow = context.client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId);
  const publisher = new SessionEventPublisher(workflow, attempt, (error) => {
    context.log.warn('Could not signal session events yet; will retry', { error: String(error) });
  });
  const turn: TurnState = { threadId: input.threadId, finalMessage: '' };
  let prompt = input.prompt;
  if (attempt > 1) {
    turn.threadId = readSessionCheckpoint(context.info.heartbeatDetails)?.threadId ?? turn.threadId ?? (await workflow.query(taskQuery)).threadId;
    if (turn.threadId !== undefined) prompt = RECOVERY_INSTRUCTION;
    publisher.push(await recovery(input.worktreePath, attempt, turn.threadId));
  }
  const checkpoint: SessionCheckpointV1 = {
    v: 1,
    itemsCompleted: 0,
    worktreeHead: input.worktreeHead ?? (await git(input.worktreePath, ['rev-parse', 'HEAD'])),
    ...(turn.threadId ? { threadId: turn.threadId } : {}),
  };
  const { binary, status } = await runtimeCheck(context, settings);
  for (const event of status.installEvents ?? []) publisher.push(event);
  const { thread, options } = await openThread(settings, input, turn.threadId, binary);
  const record = (event: Omit<SessionEventInput, 'at'>) => publisher.push({ attempt, at: new Date().toISOString(), ...event });
  // Each turn is a session of its own (getTaskStatus): a new thread's starts once codex reports
  // its id (`thread.started`), one on a known thread here, and a retry's with `session.recovered`.
  if (attempt === 1 && turn.threadId !== undefined) record({ type: 'session.started', threadId: turn.threadId, worktreePath: input.worktreePath });
  const inactivityMs = durationMs(options.turnInactivityTimeout ?? DEFAULT_TURN_INACTIVITY_TIMEOUT);
  const watch = new InactivityWatch(inactivityMs, HEARTBEAT_INTERVAL_MS);
  // The timers start only now: a turn that failed before it got here (a config file broken
  // since the last turn) must not leave them beating and signalling for good.
  publisher.start();
  try {
    await heartbeatWhile(context, checkpoint, HEARTBEAT_INTERVAL_MS, async () => {
      const { events } = await thread.runStreamed(prompt, { signal: AbortSignal.any([context.cancellationSignal, watch.signal]) });
      for await (const event of events) {
        watch.progressed();
        follow(event, { context, input, turn, checkpoint, record });
      }
    });
  } catch (error) {
    if (context.cancellationSignal.aborted) {
      record({ type: 'session.exited', exitCode: null, message: 'Turn aborted' });
      await publisher.close().catch(() => undefined);
      throw error;
    }
    // A failure Codex reported is already out; the inactivity watch's abort is said below, and is no output of Codex.
    if (turn.failure === undefined && !watch.fired) record({ type: 'session.output', stream: 'stderr', message: (error as Error).message });
    turn.failure ??= (error as Error).message;
  } finally {
    watch.stop();
  }
  if (watch.fired) turn.failure = `Codex reported nothing for ${describeSpan(inactivityMs)} (codex.turnInactivityTimeout), so the turn was ended`;
  record({ type: 'session.exited', exitCode: turn.failure === undefined ? 0 : 1, ...(turn.failure === undefined ? {} : { message: turn.failure }) });
  if (turn.failure !== undefined || turn.threadId === undefined) {
    // A failed turn's result is lost with the failure: its last events go by signal.
    await publisher.close();
    throw turnFailure(turn.failure, watch.fired, options);
  }
  return { threadId: turn.threadId, finalMessage: turn.finalMessage, ...(turn.usage ? { usage: turn.usage } : {}), sessionEvents: await publisher.handOver() };
}

/** What a failed turn throws: an outage the workflow waits out (with its window), or a final failure. */
function turnFailure(failure: string | undefined, stalled: boolean, options: CodexTaskOptions): ApplicationFailure {
  if (failure === undefined) return ApplicationFailure.nonRetryable('Codex finished the turn without reporting a thread id', ErrorCode.codexTurnFailed);
  if (!stalled && !isTransientModelFailure(failure)) return ApplicationFailure.nonRetryable(`Codex turn failed: ${failure}`, ErrorCode.codexTurnFailed);
  const details: OutageDetails = { outageWindowMs: durationMs(options.outageWindow ?? DEFAULT_OUTAGE_WINDOW) };
  return ApplicationFailure.create({
    type: stalled ? ErrorCode.codexTurnStalled : ErrorCode.codexModelUnavailable,
    message: stalled ? failure : `The model is unavailable: ${failure}`,
    nonRetryable: true,
    details: [details],
  });
}

/** A retried attempt takes over: any codex a dead worker left in the worktree is stopped first. */
async function recovery(worktreePath: string, attempt: number, threadId: string | undefined): Promise<SessionEventInput> {
  const stopped = await stopCodexProcessesIn(worktreePath);
  const orphans = stopped.length > 0 ? `; stopped orphaned codex process ${stopped.join(', ')}` : '';
  return {
    type: 'session.recovered',
    at: new Date().toISOString(),
    attempt,
    worktreePath,
    ...(threadId ? { threadId } : {}),
    message: `Attempt ${attempt} ${threadId ? `resumes thread ${threadId}` : 'starts a new thread (no thread was recorded)'}${orphans}`,
  };
}

/** The task's Codex thread (resumed when it has one, else new) and the task's options over this host's. */
async function openThread(
  settings: HostSettings,
  input: CodexTurnInput,
  threadId: string | undefined,
  binary: CodexBinary,
): Promise<{ thread: Thread; options: CodexTaskOptions }> {
  const config = (await settings.loadConfig()).codex ?? {};
  const apiKey = await settings.loadApiKey();
  const { Codex } = await import('@openai/codex-sdk');
  const codex = new Codex({
    ...codexLaunch(binary, { ...process.env, ...settings.codexEnv }, settings.sessionNice),
    ...(config.config ? { config: config.config } : {}),
    ...(apiKey ? { apiKey } : {}),
  });
  const options = { ...config, ...input.codex };
  const thread = threadOptions(input.worktreePath, options);
  return { thread: threadId ? codex.resumeThread(threadId, thread) : codex.startThread(thread), options };
}

function threadOptions(worktreePath: string, options: CodexTaskOptions): ThreadOptions {
  return {
    workingDirectory: worktreePath,
    skipGitRepoCheck: true,
    approvalPolicy: 'never',
    sandboxMode: options.sandboxMode ?? 'workspace-write',
    networkAccessEnabled: options.networkAccess ?? false,
    ...(options.model ? { model: options.model } : {}),
    ...(options.reasoningEffort ? { modelReasoningEffort: options.reasoningEffort } : {}),
    ...(options.additionalDirectories?.length ? { additionalDirectories: options.additionalDirectories } : {}),
  };
}

/** One event of the turn's stream: into the turn's state, the checkpoint and the task's events. */
function follow(
  event: ThreadEvent,
  {
    context,
    input,
    turn,
    checkpoint,
    record,
  }: { context: Context; input: CodexTurnInput; turn: TurnState; checkpoint: SessionCheckpointV1; record: (event: Omit<SessionEventInput, 'at'>) => void },
): void {
  switch (event.type) {
    case 'thread.started':
      if (turn.threadId === event.thread_id) return;
      turn.threadId = event.thread_id;
      checkpoint.threadId = event.thread_id;
      // The heartbeat carries the thread to a retry; the workflow hears of it with the next
      // batch (within a second), or in the result of a turn that ends sooner.
      context.heartbeat(checkpoint);
      record({ type: 'session.started', threadId: event.thread_id, worktreePath: input.worktreePath });
      return;
    case 'item.completed':
      checkpoint.itemsCompleted++;
      if (event.item.type === 'agent_message') turn.finalMessage = event.item.text;
      record({ type: 'session.item', item: normalizeCodexItem(event.item) });
      return;
    case 'turn.completed':
      turn.usage = normalizeUsage(event.usage);
      record({ type: 'session.usage', usage: turn.usage });
      return;
    case 'turn.failed':
      turn.failure = event.error.message;
      record({ type: 'session.output', stream: 'stderr', message: event.error.message });
      return;
    case 'error':
      turn.failure = event.message;
      record({ type: 'session.output', stream: 'stderr', message: event.message });
      return;
    default:
      return;
  }
}
