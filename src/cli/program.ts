import { Command, Option } from 'commander';
import type { TemporalOverrides } from '../client/connection';
import { ValidationError } from '../client/errors';
import { DEFAULT_TASK_QUEUE, DEFAULT_TEMPORAL_ADDRESS } from '../contracts/ids';
import { DEFAULT_MAX_CONCURRENT_TASKS, DEFAULT_SESSION_NICE } from '../worker/worker-defaults';
import { integer, taskQueueOption, type Cli } from './common';
import { registerControlCommands } from './control-commands';
import { registerGraphCommands } from './graph-commands';
import { registerConfigCommands } from './config-commands';
import { registerRuntimeCommands } from './runtime-commands';
import { registerCompletionCommand } from './completion';
import { addExamples, markRequiredOptions, registerHelpCommand, ROOT_HELP_FOOTER } from './help';
import { registerMcpCommand } from './mcp-command';
import { printJson, type CliIO } from './output';
import { registerTaskCommands } from './task-commands';
import { registerWorkCommands } from './work-commands';
import { VERSION } from '../version';

/**
 * The `codex-runner` command line: parses arguments, calls the client library, prints. Every
 * command prints readable text, or one JSON document with `--json`; errors go to stderr with a
 * non-zero exit code (see `main.ts`). Only commander and small pure modules load with it: each
 * action imports what it needs (the client, the worker, the MCP server) when it runs, so that
 * `--help`, `--version` and completion answer at once.
 */
export function buildProgram(io: CliIO, { json = false }: { json?: boolean } = {}): Command {
  const program = new Command('codex-runner')
    .description('Run OpenAI Codex agent tasks durably on Temporal')
    .version(VERSION, '-V, --version', "print codex-runner's version")
    .option('--address <host:port>', `Temporal's frontend (default: TEMPORAL_ADDRESS, else the profile's, else ${DEFAULT_TEMPORAL_ADDRESS})`)
    .option('--namespace <name>', "Temporal namespace (default: TEMPORAL_NAMESPACE, else the profile's, else default)")
    .option('--profile <name>', 'profile of the Temporal configuration file (temporal.toml) to read (default: TEMPORAL_PROFILE, else default)')
    .configureOutput({
      writeOut: io.stdout,
      // Help on stderr, when a command that needs a subcommand got none; runCli prints every error itself.
      writeErr: json ? () => undefined : io.stderr,
      outputError: () => undefined,
    })
    .exitOverride()
    .addHelpText('after', ROOT_HELP_FOOTER)
    .hook('preAction', (_program, command) => refuseEmptyValues(command));
  markRequiredOptions(program);

  const cli: Cli = {
    io,
    temporalTarget: async () => (await import('../client/connection.js')).loadTemporalTarget(program.opts<TemporalOverrides>()),
  };
  registerWorkerCommand(program, cli);
  registerTaskCommands(program, cli);
  registerDoctorCommand(program, cli);
  registerGraphCommands(program, cli);
  registerControlCommands(program, cli);
  registerWorkCommands(program, cli);
  registerConfigCommands(program, io);
  registerRuntimeCommands(program, io);
  registerMcpCommand(program, cli);
  registerCompletionCommand(program, io);
  registerHelpCommand(program, io);
  addExamples(program);
  return program;
}

/**
 * An option given an empty value (`--task-id ''`) is refused rather than quietly replaced by its
 * default, or taken as no value at all.
 */
function refuseEmptyValues(command: Command): void {
  for (const option of [command, ...ancestors(command)].flatMap((each) => each.options)) {
    if (!option.required && !option.optional) continue; // a flag, which takes no value
    const value: unknown = command.optsWithGlobals()[option.attributeName()];
    if (value === '' || (Array.isArray(value) && value.includes(''))) {
      throw new ValidationError(`${option.long ?? option.flags} must not be empty (give it a value, or leave it out)`);
    }
  }
}

function ancestors(command: Command): Command[] {
  return command.parent ? [command.parent, ...ancestors(command.parent)] : [];
}

interface WorkerFlags {
  maxConcurrentTasks: number;
  sessionNice: number;
  taskQueue?: string;
  hostName?: string;
  configPath?: string;
  secretsPath?: string;
  scriptedModel?: boolean;
}

function registerWorkerCommand(program: Command, { io, temporalTarget }: Cli): void {
  program
    .command('worker')
    .description('Run a worker on this host: task workflows, git worktrees and Codex sessions')
    .addOption(
      new Option('--max-concurrent-tasks <n>', 'Codex sessions this host runs at once')
        .argParser(integer('max concurrent tasks', 1))
        .default(DEFAULT_MAX_CONCURRENT_TASKS),
    )
    .addOption(
      new Option('--session-nice <n>', 'Codex sessions run this many nice steps below the worker, 0-19 (0: at its priority; ignored on Windows)')
        .argParser(integer('session nice', 0, 19))
        .default(DEFAULT_SESSION_NICE),
    )
    .addOption(taskQueueOption("task queue to poll, and its sessions' queue named after it: this worker runs only the tasks started on it"))
    .option(
      '--host-name <name>',
      "this host's name in a pool of worker hosts: the tasks placed on it keep their worktree and sessions here (default: the machine's hostname)",
    )
    .option('--config-path <file>', 'runner config (default: $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default: $PLATO_HOME/secrets.json)')
    .option(
      '--scripted-model',
      "try codex-runner offline: sessions run the real codex against a bundled scripted model, which runs the prompt's `$ <command>` lines (or notes the prompt in a file); no OpenAI credential needed",
    )
    .action(async (flags: WorkerFlags) => {
      const [{ runWorker, defaultHostName }, target] = await Promise.all([import('../worker/run-worker.js'), temporalTarget()]);
      const taskQueue = flags.taskQueue ?? DEFAULT_TASK_QUEUE;
      const hostName = flags.hostName ?? defaultHostName();
      await runWorker({
        target,
        taskQueue,
        hostName,
        // Started through npx or npm exec: a SIGTERM to npm does not reach this process.
        stopWithParent: process.env.npm_command !== undefined,
        maxConcurrentTasks: flags.maxConcurrentTasks,
        sessionNice: flags.sessionNice,
        ...(flags.configPath ? { configPath: flags.configPath } : {}),
        ...(flags.secretsPath ? { secretsPath: flags.secretsPath } : {}),
        scriptedModel: flags.scriptedModel === true,
        onScriptedModel: (baseUrl) => io.stdout(`Scripted model at ${baseUrl}: sessions run the prompt's \`$ <command>\` lines; no OpenAI model is asked.\n`),
        onReady: () =>
          io.stdout(
            `Worker ready: ${target.address} namespace ${target.namespace} task queue ${taskQueue}, host ${hostName}, ${flags.maxConcurrentTasks} session slot(s). Stop with Ctrl-C.\n`,
          ),
      });
    });
}

function registerDoctorCommand(program: Command, { io, temporalTarget }: Cli): void {
  program
    .command('doctor')
    .description("Check that this host can run tasks: Temporal, search attributes, a worker, codex, credentials (and a repository's config)")
    .option('--config-path <file>', 'runner config (default: $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default: $PLATO_HOME/secrets.json)')
    .addOption(taskQueueOption('task queue whose workers to look for'))
    .option('--repo <path>', "also check a repository's committed .codex-runner.yaml")
    .option('--json', 'print JSON')
    .action(async (flags: { configPath?: string; secretsPath?: string; taskQueue?: string; repo?: string; json?: boolean }) => {
      const [{ runDoctor }, target] = await Promise.all([import('./doctor.js'), temporalTarget()]);
      const checks = await runDoctor({
        target,
        ...(flags.repo ? { repoPath: flags.repo } : {}),
        ...(flags.configPath ? { configPath: flags.configPath } : {}),
        ...(flags.secretsPath ? { secretsPath: flags.secretsPath } : {}),
        ...(flags.taskQueue ? { taskQueue: flags.taskQueue } : {}),
      });
      const ok = checks.every((check) => check.ok || check.advisory);
      if (flags.json) {
        printJson(io, { ok, checks });
      } else {
        for (const check of checks) {
          io.stdout(`${check.ok ? 'ok  ' : check.advisory ? 'note' : 'FAIL'}  ${check.name}: ${check.detail}\n`);
          if (!check.ok && check.fix) io.stdout(`      fix: ${check.fix.replace(/\n/g, '\n      ')}\n`);
        }
      }
      if (!ok) process.exitCode = 1;
    });
}
