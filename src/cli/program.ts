import { Command, Option } from 'commander';
import { ValidationError } from '../client/errors';
import { loadTemporalTarget } from '../client/connection';
import { DEFAULT_TASK_QUEUE } from '../contracts/ids';
import { integer, taskQueueOption } from './common';
import { registerControlCommands } from './control-commands';
import { registerGraphCommands } from './graph-commands';
import { registerConfigCommands } from './config-commands';
import { registerRuntimeCommands } from './runtime-commands';
import { registerMcpCommand } from './mcp-command';
import { DEFAULT_MAX_CONCURRENT_TASKS, DEFAULT_SESSION_NICE, defaultHostName, runWorker } from '../worker/run-worker';
import { runDoctor } from './doctor';
import { printJson, type CliIO } from './output';
import { registerTaskCommands } from './task-commands';
import { registerWorkCommands } from './work-commands';
import { VERSION } from '../version';

/**
 * The `codex-runner` command line: parses arguments, calls the client library, prints. Every
 * command prints readable text, or one JSON document with `--json`; errors go to stderr with a
 * non-zero exit code (see `main.ts`).
 */
export function buildProgram(io: CliIO): Command {
  const program = new Command('codex-runner')
    .description('Run OpenAI Codex agent tasks durably on Temporal')
    .version(VERSION, '-V, --version', "print codex-runner's version")
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // A usage error is one line, with where to look.
      outputError: (message, write) => write(`${message.trimEnd()} (run with --help for usage)\n`),
    })
    .exitOverride()
    .hook('preAction', (_program, command) => refuseEmptyValues(command));

  registerWorkerCommand(program, io);
  registerTaskCommands(program, io);
  registerDoctorCommand(program, io);
  registerGraphCommands(program, io);
  registerControlCommands(program, io);
  registerWorkCommands(program, io);
  registerConfigCommands(program, io);
  registerRuntimeCommands(program, io);
  registerMcpCommand(program, io);
  return program;
}

/**
 * An option given an empty value (`--task-id ''`) is refused rather than quietly replaced by its
 * default, or taken as no value at all.
 */
function refuseEmptyValues(command: Command): void {
  for (const option of command.options) {
    if (!option.required && !option.optional) continue; // a flag, which takes no value
    const value: unknown = command.getOptionValue(option.attributeName());
    if (value === '' || (Array.isArray(value) && value.includes(''))) {
      throw new ValidationError(`${option.long ?? option.flags} must not be empty (give it a value, or leave it out)`);
    }
  }
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

function registerWorkerCommand(program: Command, io: CliIO): void {
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
    .option('--config-path <file>', 'runner config (default $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default $PLATO_HOME/secrets.json)')
    .option(
      '--scripted-model',
      "try codex-runner offline: sessions run the real codex against a bundled scripted model, which runs the prompt's `$ <command>` lines (or notes the prompt in a file); no OpenAI credential needed",
    )
    .action(async (flags: WorkerFlags) => {
      const target = loadTemporalTarget();
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

function registerDoctorCommand(program: Command, io: CliIO): void {
  program
    .command('doctor')
    .description("Check that this host can run tasks: Temporal, search attributes, a worker, codex, credentials (and a repository's config)")
    .option('--config-path <file>', 'runner config (default $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default $PLATO_HOME/secrets.json)')
    .addOption(taskQueueOption('task queue whose workers to look for'))
    .option('--repo <path>', "also check a repository's committed .codex-runner.yaml")
    .option('--json', 'print JSON')
    .action(async (flags: { configPath?: string; secretsPath?: string; taskQueue?: string; repo?: string; json?: boolean }) => {
      const checks = await runDoctor({
        target: loadTemporalTarget(),
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
