import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliIO } from './output';
import { readOptionFile, readStdin } from './input-files';
import { printJson } from './output';
import type { CodexRunnerClient } from '../client/codex-runner-client';
import type { TemporalTarget } from '../client/connection';
import { ValidationError } from '../client/errors';
import { DEFAULT_TASK_QUEUE, startWorkerHint, TASK_QUEUE_PATTERN, TASK_QUEUE_RULE } from '../contracts/ids';
import type { TaskChecks } from '../contracts/repo-config';
import type { CodexTaskOptions } from '../contracts/task';
import { REASONING_EFFORTS, SANDBOX_MODES } from '../contracts/task-values';

/** What every command's action gets from the program it runs in. */
export interface Cli {
  io: CliIO;
  /** Where Temporal is: the environment configuration, under the global `--address`, `--namespace` and `--profile`. */
  temporalTarget: () => Promise<TemporalTarget>;
}

/** A commander argument parser for integers that names the field in its error. */
export function integer(field: string, min?: number, max?: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new InvalidArgumentError(`${field} must be an integer`);
    const value = Number.parseInt(raw, 10);
    if (min !== undefined && value < min) throw new InvalidArgumentError(`${field} must be at least ${min}`);
    if (max !== undefined && value > max) throw new InvalidArgumentError(`${field} must be at most ${max}`);
    return value;
  };
}

export function webUiUrl(target: TemporalTarget, taskId?: string): string | undefined {
  const base =
    process.env.CODEX_RUNNER_UI_URL ?? (/^(localhost|127\.0\.0\.1):7233$/.test(target.address) ? `http://${target.address.split(':')[0]}:8233` : undefined);
  if (base === undefined) return undefined;
  return taskId ? `${base}/namespaces/${target.namespace}/workflows/codex-task-${taskId}` : base;
}

export interface CodexFlags {
  model?: string;
  reasoningEffort?: (typeof REASONING_EFFORTS)[number];
  sandbox?: (typeof SANDBOX_MODES)[number];
  network?: boolean;
  turnInactivityTimeout?: string;
  outageWindow?: string;
}

export function codexOptions(flags: CodexFlags): CodexTaskOptions | undefined {
  const options: CodexTaskOptions = {
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.reasoningEffort ? { reasoningEffort: flags.reasoningEffort } : {}),
    ...(flags.sandbox ? { sandboxMode: flags.sandbox } : {}),
    ...(flags.network === undefined ? {} : { networkAccess: flags.network }),
    ...(flags.turnInactivityTimeout ? { turnInactivityTimeout: flags.turnInactivityTimeout } : {}),
    ...(flags.outageWindow ? { outageWindow: flags.outageWindow } : {}),
  };
  return Object.keys(options).length > 0 ? options : undefined;
}

export interface PromptFlags {
  prompt?: string;
  promptFile?: string;
}

/** `--prompt <text>` and `--prompt-file <path|->` (of `start` and `graph start`): a command takes one of them. */
export function addPromptOptions(command: Command, description: string): Command {
  return command
    .addOption(new Option('--prompt <text>', description).conflicts('promptFile'))
    .option('--prompt-file <path|->', 'read the prompt from this file, or from stdin with -');
}

/**
 * The prompt the flags give: `--prompt`, or the text of `--prompt-file` (stdin for `-`);
 * undefined when neither is given.
 * @throws ValidationError when the file cannot be read or holds nothing.
 */
export async function promptFrom(flags: PromptFlags): Promise<string | undefined> {
  if (flags.promptFile === undefined) return flags.prompt;
  const fromStdin = flags.promptFile === '-';
  const text = fromStdin ? await readStdin() : await readOptionFile('--prompt-file', flags.promptFile);
  if (text.trim() === '') throw new ValidationError(`--prompt-file: ${fromStdin ? 'stdin held no prompt' : `${flags.promptFile} holds no prompt`}`);
  return text;
}

/** The per-task Codex flags shared by `start` and `graph start`. */
export function addCodexOptions(command: Command): Command {
  return command
    .option('--model <name>', 'Codex model')
    .addOption(new Option('--reasoning-effort <level>', 'Codex reasoning effort').choices(REASONING_EFFORTS))
    .addOption(new Option('--sandbox <mode>', 'Codex sandbox mode (default: workspace-write)').choices(SANDBOX_MODES))
    .option('--network', 'allow network access inside the sandbox')
    .option('--turn-inactivity-timeout <duration>', 'end a turn whose codex reports nothing for this long, and retry it as a model outage (default: 10m)')
    .option('--outage-window <duration>', 'retry a turn on its thread for this long while the model is unavailable (default: 30m)');
}

/** The Codex, approval, checks and task queue flags shared by `start` and `graph start`; `what` names what they start. */
export function addTaskOptions(command: Command, what: string): Command {
  return addCheckOptions(addApprovalOptions(addCodexOptions(command), what)).addOption(
    taskQueueOption('task queue to start on: only workers polling it run the work'),
  );
}

export interface CheckFlags {
  /** Commands given with `--verify`, or `false` for `--no-verify`. */
  verify?: string[] | false;
  setup?: string[];
  maxVerifyTurns?: number;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--setup`, `--verify`, `--no-verify` and `--max-verify-turns`: over the repository's .codex-runner.yaml. */
function addCheckOptions(command: Command): Command {
  return command
    .option('--setup <command>', "run in the new worktree before the first turn, instead of .codex-runner.yaml's setup (repeatable)", collect)
    .option('--verify <command>', "check the work after each turn, instead of .codex-runner.yaml's verify (repeatable)", collect)
    .option('--no-verify', 'run no verify commands, whatever .codex-runner.yaml says')
    .addOption(
      new Option('--max-verify-turns <n>', "turns the agent gets to fix a failed check (default: .codex-runner.yaml's maxVerifyTurns, else 2)").argParser(
        integer('max verify turns', 0, 10),
      ),
    );
}

/** The task's `checks` from the flags; `undefined` when none was given. */
export function checkOptions(flags: CheckFlags): TaskChecks | undefined {
  const checks: TaskChecks = {
    ...(flags.setup ? { setup: flags.setup } : {}),
    ...(flags.verify === false ? { verify: [] } : flags.verify ? { verify: flags.verify } : {}),
    ...(flags.maxVerifyTurns === undefined ? {} : { maxVerifyTurns: flags.maxVerifyTurns }),
  };
  return Object.keys(checks).length > 0 ? checks : undefined;
}

export interface ApprovalFlags {
  requireApproval?: boolean;
  approvalTimeout?: string;
}

/** `--require-approval` and `--approval-timeout`, shared by `start` and `graph start`. */
export function addApprovalOptions(command: Command, what: string): Command {
  return command
    .option('--require-approval', `after its turn ${what} waits in awaiting_approval for approve, reject or request-changes`)
    .option('--approval-timeout <duration>', 'fail an unanswered approval after this long (e.g. 30m, 2h, 1d): TASK_APPROVAL_TIMED_OUT');
}

/** The flags {@link addTaskOptions} adds. */
export type TaskOptionFlags = CodexFlags & ApprovalFlags & CheckFlags & { taskQueue?: string };

export function approvalOptions(flags: ApprovalFlags): ApprovalFlags {
  return {
    ...(flags.requireApproval ? { requireApproval: true } : {}),
    ...(flags.approvalTimeout ? { approvalTimeout: flags.approvalTimeout } : {}),
  };
}

/** `--task-queue`, shared by `worker`, `start`, `graph start` and `mcp`; `what` says what the queue is for here. */
export function taskQueueOption(what: string): Option {
  return new Option('--task-queue <name>', `${what} (default: ${DEFAULT_TASK_QUEUE})`).argParser((raw) => {
    if (!TASK_QUEUE_PATTERN.test(raw)) throw new InvalidArgumentError(`A task queue name ${TASK_QUEUE_RULE}.`);
    return raw;
  });
}

/**
 * Connects a client for one command (starting tasks on `taskQueue`, when given) and closes it
 * afterwards. The client library is loaded here, not at start-up, so that `--help` and
 * `--version` do not wait for it.
 */
export async function withClient<T>(cli: Cli, run: (client: CodexRunnerClient, target: TemporalTarget) => Promise<T>, taskQueue?: string): Promise<T> {
  const [{ CodexRunnerClient }, { connectTemporalClient }, target] = await Promise.all([
    import('../client/codex-runner-client.js'),
    import('../client/connection.js'),
    cli.temporalTarget(),
  ]);
  const client = new CodexRunnerClient(await connectTemporalClient(target), taskQueue ? { taskQueue } : {});
  try {
    return await run(client, target);
  } finally {
    await client.close();
  }
}

/** Says on stderr, before a wait, when no worker polls the client's task queue (the wait then lasts until one runs). */
export async function warnWithoutWorker(io: CliIO, client: CodexRunnerClient): Promise<void> {
  const workers = await client.findWorkers();
  if (workers.polling.length === 0) {
    io.stderr(`No worker is polling task queue ${workers.taskQueue}: this waits until one runs (${startWorkerHint(workers.taskQueue)}).\n`);
  }
}

/** The lines `start` and `graph start` print once a task or graph is started: what, how to follow it, and its Web UI page. */
export function printStarted(io: CliIO, target: TemporalTarget, { headline, follow, taskId }: { headline: string; follow: string; taskId: string }): void {
  io.stdout(`${headline}\n`);
  io.stdout(`  follow: ${follow}\n`);
  const ui = webUiUrl(target, taskId);
  if (ui) io.stdout(`  web UI: ${ui}\n`);
}

/**
 * A command that reads one thing by a task id and prints it as text, or as one JSON document
 * with `--json` (`status`, `graph status`, `graph results`).
 */
export function addReadCommand<T>(
  parent: Command,
  cli: Cli,
  command: {
    name: string;
    description: string;
    read: (client: CodexRunnerClient, taskId: string) => Promise<T>;
    format: (value: T) => string;
    /** The `--json` document (docs/decisions/0016-cli-json-documents.md). */
    json: (value: T) => object;
  },
): void {
  parent
    .command(command.name)
    .description(command.description)
    .argument('<taskId>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { json?: boolean }) => {
      await withClient(cli, async (client) => {
        const value = await command.read(client, taskId);
        if (flags.json) printJson(cli.io, command.json(value));
        else cli.io.stdout(`${command.format(value)}\n`);
      });
    });
}

/**
 * The repository a command names: `--repo-url`, else `--repo-path`, else the current directory.
 * @throws ValidationError when both are given.
 */
export function repositoryFlags(flags: { repoPath?: string | undefined; repoUrl?: string | undefined }): { repoPath: string } | { repoUrl: string } {
  if (flags.repoPath !== undefined && flags.repoUrl !== undefined) {
    throw new ValidationError('--repo-path, --repo-url: name the repository once, by its local path or by its git URL');
  }
  return flags.repoUrl !== undefined ? { repoUrl: flags.repoUrl } : { repoPath: flags.repoPath ?? process.cwd() };
}
