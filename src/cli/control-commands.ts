import type { Command } from 'commander';
import type { CodexRunnerClient } from '../client/codex-runner-client';
import { WorkerUnavailableError, WrongStateError } from '../client/errors';
import { startWorkerHint } from '../contracts/ids';
import type { TaskRecord } from '../contracts/records';
import type { TaskState } from '../contracts/task-values';
import { withClient, type Cli } from './common';
import { formatEvent, formatTask, printJson, printJsonLine, type CliIO } from './output';

/** How long the CLI waits for a signal (interrupt, resume) or a cancel to show in the task's state, while it still may. */
const SETTLE_TIMEOUT_MS = 60_000;

export interface Settlement {
  what: string;
  settled: (state: TaskState) => boolean;
  pending: readonly TaskState[];
}

/**
 * What `interrupt`, `resume` and `cancel` wait for once their message is sent: the state that
 * shows it took effect, and the states in which it still may. Any other state means the task
 * moved on before the message arrived (say a turn ended in awaiting_approval while an interrupt
 * was on its way, and the workflow dropped it), so the command refuses at once.
 */
export const SETTLEMENTS = {
  interrupt: { what: 'interrupted', settled: (state) => state === 'interrupted', pending: ['queued', 'running'] },
  resume: { what: 'resumed', settled: (state) => state !== 'interrupted', pending: ['interrupted'] },
  cancel: { what: 'cancelled', settled: (state) => state === 'cancelled', pending: ['queued', 'running', 'awaiting_approval', 'interrupted'] },
} satisfies Record<string, Settlement>;

/** Where a control command's wait stands when the task is in `state`. */
export function settlementOf(settlement: Settlement, state: TaskState): 'settled' | 'pending' | 'refused' {
  if (settlement.settled(state)) return 'settled';
  return settlement.pending.includes(state) ? 'pending' : 'refused';
}

/**
 * Polls the task until its state shows the message took effect; fails with TASK_WRONG_STATE at
 * once when it is in a state where it no longer can, or after {@link SETTLE_TIMEOUT_MS}. The
 * WorkerUnavailableError, returned, when no worker polls the task's queue: the message is
 * delivered (a signal or a cancellation waits in history) and takes effect once a worker runs.
 */
async function waitForState(client: CodexRunnerClient, taskId: string, settlement: Settlement): Promise<TaskRecord | WorkerUnavailableError> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    let task: TaskRecord;
    try {
      task = await client.getTask(taskId);
    } catch (error) {
      if (error instanceof WorkerUnavailableError) return error;
      throw error;
    }
    const where = settlementOf(settlement, task.state);
    if (where === 'settled') return task;
    if (where === 'refused' || Date.now() > deadline) throw new WrongStateError(`Task ${taskId} was not ${settlement.what}: it is ${task.state}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printTask(io: CliIO, json: boolean | undefined, task: TaskRecord, headline: string): void {
  if (json) printJson(io, { task });
  else io.stdout(`${headline}\n${formatTask(task)}\n`);
}

/** The task once a signal or cancellation showed, or that it was delivered and waits for a worker. */
function printSettled(io: CliIO, json: boolean | undefined, settled: TaskRecord | WorkerUnavailableError, headline: string, delivered: string): void {
  if (!(settled instanceof WorkerUnavailableError)) return printTask(io, json, settled, headline);
  const note = `${delivered}; it takes effect once a worker runs. No worker is polling task queue ${settled.taskQueue}: ${startWorkerHint(settled.taskQueue)}`;
  if (json) printJson(io, { delivered: true, actedOn: false, note });
  else io.stdout(`${note}\n`);
}

/** interrupt, resume, cancel, approve, reject, request-changes. */
export function registerControlCommands(program: Command, cli: Cli): void {
  registerInterruptCommands(program, cli);
  registerApprovalCommands(program, cli);
}

/** interrupt, resume, cancel: each waits until the task's state shows it. */
function registerInterruptCommands(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('interrupt')
    .description('Stop a running session (or keep a queued task from starting); waits until the task shows interrupted')
    .argument('<taskId>', 'a task, or a graph parent: every child that has not ended')
    .option('--reason <text>', 'why, for the audit trail')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { reason?: string; json?: boolean }) => {
      await withClient(cli, async (client) => {
        await client.interrupt(taskId, flags.reason ? { reason: flags.reason } : {});
        const task = await waitForState(client, taskId, SETTLEMENTS.interrupt);
        printSettled(
          io,
          flags.json,
          task,
          `Interrupted ${taskId}; resume with: codex-runner resume ${taskId} [--message text]`,
          `Interrupt delivered to ${taskId}`,
        );
      });
    });

  program
    .command('resume')
    .description('Continue an interrupted task: a new turn on the same Codex thread, in the same worktree')
    .argument('<taskId>', 'a task, or a graph parent: its interrupted children')
    .option('--message <text>', 'the new instruction (default: continue where you left off)')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { message?: string; json?: boolean }) => {
      await withClient(cli, async (client) => {
        await client.resume(taskId, flags.message ? { message: flags.message } : {});
        const task = await waitForState(client, taskId, SETTLEMENTS.resume);
        printSettled(io, flags.json, task, `Resumed ${taskId}`, `Resume delivered to ${taskId}`);
      });
    });

  program
    .command('cancel')
    .description('Cancel a task (its session is aborted, the worktree kept); on a graph parent, the whole graph')
    .argument('<taskId>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { json?: boolean }) => {
      await withClient(cli, async (client) => {
        await client.cancel(taskId);
        const task = await waitForState(client, taskId, SETTLEMENTS.cancel);
        printSettled(io, flags.json, task, `Cancelled ${taskId}`, `Cancellation delivered to ${taskId}`);
      });
    });
}

/** approve, reject, request-changes: updates a task awaiting approval takes or refuses at once. */
function registerApprovalCommands(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('approve')
    .description('Approve a task that is awaiting approval; it ends completed')
    .argument('<taskId>')
    .option('--by <name>', 'who approves')
    .option('--comment <text>', 'a note for the audit trail')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { by?: string; comment?: string; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const task = await client.approve(taskId, { ...(flags.by ? { by: flags.by } : {}), ...(flags.comment ? { comment: flags.comment } : {}) });
        printTask(io, flags.json, task, `Approved ${taskId}`);
      });
    });

  program
    .command('reject')
    .description('Reject a task that is awaiting approval; it ends failed (TASK_APPROVAL_REJECTED)')
    .argument('<taskId>')
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who rejects')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { reason: string; by?: string; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const task = await client.reject(taskId, { reason: flags.reason, ...(flags.by ? { by: flags.by } : {}) });
        printTask(io, flags.json, task, `Rejected ${taskId}`);
      });
    });

  program
    .command('request-changes')
    .description('Send a task awaiting approval back for another turn on the same thread with your feedback')
    .argument('<taskId>')
    .requiredOption('--message <text>', 'the changes you want')
    .option('--by <name>', 'who asks')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { message: string; by?: string; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const task = await client.requestChanges(taskId, { message: flags.message, ...(flags.by ? { by: flags.by } : {}) });
        printTask(io, flags.json, task, `Requested changes on ${taskId}; it will be back in awaiting_approval after its turn`);
      });
    });
}

/** `events --follow`: one readable line (or one JSON document) per event until the task ends. */
export async function followEvents(client: CodexRunnerClient, io: CliIO, taskId: string, afterSeq: number, json: boolean | undefined): Promise<void> {
  for await (const event of client.watchEvents(taskId, { afterSeq })) {
    if (json) printJsonLine(io, event);
    else io.stdout(`${formatEvent(event)}\n`);
  }
}
