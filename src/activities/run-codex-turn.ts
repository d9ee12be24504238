import { Context, ApplicationFailure } from '@temporalio/activity';
import type { ThreadOptions } from '@openai/codex-sdk' with { 'resolution-mode': 'import' };
import { ErrorCode } from '../contracts/errors';
import type { SessionEventBatch, TaskEventInput } from '../contracts/events';
import type { CodexTaskOptions, TokenUsage } from '../contracts/task';
import { taskWorkflowId } from '../contracts/ids';
import { graphSessionSignal, taskQuery } from '../workflows/messages';
import { codexLaunch, resolveCodexBinary } from '../host/codex-binary';
import { git } from '../host/git';
import { readSessionCheckpoint, type SessionCheckpointV1 } from './heartbeat-details';
import { heartbeatWhile } from './heartbeat-while';
import type { HostSettings } from './host-settings';
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

function turnThreadOptions(worktreePath: string, options: CodexTaskOptions): ThreadOptions {
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

/**
 * Runs one Codex turn in the task's worktree through `@openai/codex-sdk`.
 *
 * - Heartbeats on a timer with a {@link SessionCheckpointV1}; the thread id is also signalled to
 *   the workflow the moment Codex reports it, because the latest heartbeat can be lost in a crash.
 * - Sends normalized events (`session.*`) to the workflow while the turn runs.
 * - Activity cancellation (interrupt, cancel, worker shutdown) aborts the turn through the SDK's
 *   AbortSignal, which ends the codex process.
 * - A retry (attempt > 1) first stops any codex process a dead worker left in the worktree, then
 *   resumes the same thread with a "continue" instruction and records `session.recovered`.
 *
 * @throws ApplicationFailure `CODEX_TURN_FAILED` (not retryable) when Codex reports the turn failed.
 */
export function createRunCodexTurn(settings: HostSettings) {
  return async function runCodexTurn(input: CodexTurnInput): Promise<CodexTurnResult> {
    const context = Context.current();
    const { workflowExecution } = context.info;
    if (workflowExecution === undefined) {
      throw ApplicationFailure.nonRetryable('runCodexTurn must run inside a task workflow', ErrorCode.codexTurnFailed);
    }
    // A graph child tells its parent when it has a session slot and when it gives it up.
    const { parentTaskId } = input;
    const tellGraph = (session: 'started' | 'ended'): Promise<void> =>
      parentTaskId === undefined
        ? Promise.resolve()
        : context.client.workflow
            .getHandle(taskWorkflowId(parentTaskId))
            .signal(graphSessionSignal, { taskId: input.taskId, session })
            .catch((error: unknown) => {
              context.log.warn(`Could not tell the graph that this turn ${session}`, { error: String(error) });
            });
    void tellGraph('started');
    try {
      return await runTurn(context, input, settings, workflowExecution);
    } finally {
      // Before the slot is freed: the parent must know this session ended before it hears that
      // another child took the slot (it then waits for this child's outcome; see SESSION_WINDOW).
      await tellGraph('ended');
    }
  };
}

/** The turn itself: runCodexTurn above, within a task workflow's execution (`workflowExecution`). */
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
  const now = () => new Date().toISOString();

  let threadId = input.threadId;
  let prompt = input.prompt;
  if (attempt > 1) {
    threadId = readSessionCheckpoint(context.info.heartbeatDetails)?.threadId ?? threadId;
    threadId ??= (await workflow.query(taskQuery)).threadId;
    const stopped = await stopCodexProcessesIn(input.worktreePath);
    if (threadId !== undefined) prompt = RECOVERY_INSTRUCTION;
    publisher.push({
      type: 'session.recovered',
      at: now(),
      attempt,
      worktreePath: input.worktreePath,
      ...(threadId ? { threadId } : {}),
      message:
        `Attempt ${attempt} ${threadId ? `resumes thread ${threadId}` : 'starts a new thread (no thread was recorded)'}` +
        (stopped.length > 0 ? `; stopped orphaned codex process ${stopped.join(', ')}` : ''),
    });
  }

  const checkpoint: SessionCheckpointV1 = {
    v: 1,
    itemsCompleted: 0,
    worktreeHead: input.worktreeHead ?? (await git(input.worktreePath, ['rev-parse', 'HEAD'])),
    ...(threadId ? { threadId } : {}),
  };
  const config = (await settings.loadConfig()).codex ?? {};
  const apiKey = await settings.loadApiKey();
  // The binary the runtime check verified (or installed): resolved by the same function.
  const binary = resolveCodexBinary(config.codexPath);
  const { Codex } = await import('@openai/codex-sdk');
  const codex = new Codex({
    ...codexLaunch(binary, { ...process.env, ...settings.codexEnv }, settings.sessionNice),
    ...(config.config ? { config: config.config } : {}),
    ...(apiKey ? { apiKey } : {}),
  });
  const threadOptions = turnThreadOptions(input.worktreePath, { ...config, ...input.codex });
  const thread = threadId ? codex.resumeThread(threadId, threadOptions) : codex.startThread(threadOptions);

  let finalMessage = '';
  let usage: TokenUsage | undefined;
  let failure: string | undefined;
  const record = (event: TaskEventInput) => publisher.push({ attempt, ...event });
  // The timers start only now: a turn that failed before it got here (a config file broken
  // since the last turn) must not leave them beating and signalling for good.
  publisher.start();
  try {
    await heartbeatWhile(context, checkpoint, HEARTBEAT_INTERVAL_MS, async () => {
      const { events } = await thread.runStreamed(prompt, { signal: context.cancellationSignal });
      for await (const event of events) {
        switch (event.type) {
          case 'thread.started':
            if (threadId !== event.thread_id) {
              threadId = event.thread_id;
              checkpoint.threadId = threadId;
              // The heartbeat carries the thread to a retry; the workflow hears of it with the
              // next batch (within a second), or in the result of a turn that ends sooner.
              context.heartbeat(checkpoint);
              record({ type: 'session.started', at: now(), threadId, worktreePath: input.worktreePath });
            }
            break;
          case 'item.completed':
            checkpoint.itemsCompleted++;
            if (event.item.type === 'agent_message') finalMessage = event.item.text;
            record({ type: 'session.item', at: now(), item: normalizeCodexItem(event.item) });
            break;
          case 'turn.completed':
            usage = normalizeUsage(event.usage);
            record({ type: 'session.usage', at: now(), usage });
            break;
          case 'turn.failed':
            failure = event.error.message;
            break;
          case 'error':
            failure = event.message;
            break;
          default:
            break;
        }
      }
    });
  } catch (error) {
    if (context.cancellationSignal.aborted) {
      record({ type: 'session.exited', at: now(), exitCode: null, message: 'Turn aborted' });
      await publisher.close().catch(() => undefined);
      throw error;
    }
    failure ??= (error as Error).message;
  }

  record({
    type: 'session.exited',
    at: now(),
    exitCode: failure === undefined ? 0 : 1,
    ...(failure === undefined ? {} : { message: failure }),
  });
  if (failure !== undefined || threadId === undefined) {
    // A failed turn's result is lost with the failure: its last events go by signal.
    await publisher.close();
    if (failure !== undefined) throw ApplicationFailure.nonRetryable(`Codex turn failed: ${failure}`, ErrorCode.codexTurnFailed);
    throw ApplicationFailure.nonRetryable('Codex finished the turn without reporting a thread id', ErrorCode.codexTurnFailed);
  }
  return { threadId, finalMessage, ...(usage ? { usage } : {}), sessionEvents: await publisher.handOver() };
}
