import { Command, Option } from 'commander';
import { loadTemporalTarget } from '../client/connection';
import { TASK_STATES, type TaskState } from '../contracts/task';
import {
  addApprovalOptions,
  addCodexOptions,
  approvalOptions,
  codexOptions,
  integer,
  webUiUrl,
  withClient,
  type ApprovalFlags,
  type CodexFlags,
} from './common';
import { followEvents, registerControlCommands } from './control-commands';
import { registerGraphCommands } from './graph-commands';
import { registerConfigCommands } from './config-commands';
import { registerRuntimeCommands } from './runtime-commands';
import { registerMcpCommand } from './mcp-command';
import { DEFAULT_MAX_CONCURRENT_TASKS, DEFAULT_SESSION_NICE, runWorker } from '../worker/run-worker';
import { runDoctor } from './doctor';
import { formatEvent, formatTask, formatTaskTable, printJson, type CliIO } from './output';

/**
 * The `codex-runner` command line: parses arguments, calls the client library, prints. Every
 * command prints readable text, or one JSON document with `--json`; errors go to stderr with a
 * non-zero exit code (see `main.ts`).
 */
export function buildProgram(io: CliIO): Command {
  const program = new Command('codex-runner')
    .description('Run OpenAI Codex agent tasks durably on Temporal')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

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
    .option('--config-path <file>', 'runner config (default $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default $PLATO_HOME/secrets.json)')
    .action(async (flags: { maxConcurrentTasks: number; sessionNice: number; configPath?: string; secretsPath?: string }) => {
      const target = loadTemporalTarget();
      await runWorker({
        target,
        maxConcurrentTasks: flags.maxConcurrentTasks,
        sessionNice: flags.sessionNice,
        ...(flags.configPath ? { configPath: flags.configPath } : {}),
        ...(flags.secretsPath ? { secretsPath: flags.secretsPath } : {}),
        onReady: () =>
          io.stdout(
            `Worker ready: ${target.address} namespace ${target.namespace}, ${flags.maxConcurrentTasks} session slot(s). Stop with Ctrl-C.\n`,
          ),
      });
    });

  const start = program
    .command('start')
    .description('Start one task: a Codex session on its own branch and worktree')
    .requiredOption('--prompt <text>', 'what the agent should do')
    .option('--task-id <id>', 'task id (default: a new UUID)')
    .option('--repo-path <path>', 'git repository to work in', process.cwd())
    .option('--base-ref <ref>', 'branch, tag or commit the task branch starts from (default HEAD)')
    .option('--priority <n>', 'higher runs first', integer('priority'), 0);
  addApprovalOptions(addCodexOptions(start), 'the task')
    .option('--wait', 'wait until the task finishes; exit 1 if it failed')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: CodexFlags &
          ApprovalFlags & {
          prompt: string;
          taskId?: string;
          repoPath: string;
          baseRef?: string;
          priority: number;
          wait?: boolean;
          json?: boolean;
        },
      ) => {
        await withClient(async (client, target) => {
          const codex = codexOptions(flags);
          const task = await client.startTask({
            prompt: flags.prompt,
            repoPath: flags.repoPath,
            priority: flags.priority,
            ...(flags.taskId ? { taskId: flags.taskId } : {}),
            ...(flags.baseRef ? { baseRef: flags.baseRef } : {}),
            ...(codex ? { codex } : {}),
            ...approvalOptions(flags),
          });
          if (!flags.json) {
            const ui = webUiUrl(target, task.taskId);
            io.stdout(`Started task ${task.taskId} (queued) in ${task.repoPath}\n`);
            io.stdout(`  follow: codex-runner events ${task.taskId}\n`);
            if (ui) io.stdout(`  web UI: ${ui}\n`);
          }
          if (!flags.wait) {
            if (flags.json) printJson(io, { task });
            return;
          }
          const finished = await client.waitForTask(task.taskId);
          if (flags.json) printJson(io, { task: finished });
          else io.stdout(`${formatTask(finished)}\n`);
          if (finished.state !== 'completed') process.exitCode = 1;
        });
      },
    );

  program
    .command('status')
    .description("Show a task's record")
    .argument('<taskId>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { json?: boolean }) => {
      await withClient(async (client) => {
        const task = await client.getTask(taskId);
        if (flags.json) printJson(io, { task });
        else io.stdout(`${formatTask(task)}\n`);
      });
    });

  program
    .command('events')
    .description("List a task's events (rebuilt from history once the task has finished)")
    .argument('<taskId>')
    .option('--after <seq>', 'only events after this sequence number', integer('after', 0), 0)
    .option('--follow', 'keep printing events as they happen until the task ends (with --json: one event per line)')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { after: number; follow?: boolean; json?: boolean }) => {
      await withClient(async (client) => {
        if (flags.follow) {
          await followEvents(client, io, taskId, flags.after, flags.json);
          return;
        }
        const events = await client.listEvents(taskId, flags.after);
        if (flags.json) printJson(io, { taskId, events });
        else io.stdout(events.length === 0 ? 'No events.\n' : `${events.map(formatEvent).join('\n')}\n`);
      });
    });

  program
    .command('list')
    .description('List tasks, newest first (from Temporal visibility: eventually consistent)')
    .addOption(new Option('--state <state>', 'only tasks in this state').choices(TASK_STATES))
    .option('--parent <taskId>', 'only children of this task')
    .option('--repo-path <path>', 'only tasks in this repository (absolute path)')
    .option('--limit <n>', 'at most this many', integer('limit', 1), 100)
    .option('--json', 'print JSON')
    .action(async (flags: { state?: TaskState; parent?: string; repoPath?: string; limit: number; json?: boolean }) => {
      await withClient(async (client) => {
        const tasks = await client.listTasks({
          limit: flags.limit,
          ...(flags.state ? { state: flags.state } : {}),
          ...(flags.parent ? { parentTaskId: flags.parent } : {}),
          ...(flags.repoPath ? { repoPath: flags.repoPath } : {}),
        });
        if (flags.json) printJson(io, { tasks });
        else io.stdout(`${formatTaskTable(tasks)}\n`);
      });
    });

  program
    .command('doctor')
    .description('Check that this host can run tasks: Temporal, search attributes, codex, credentials')
    .option('--config-path <file>', 'runner config (default $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default $PLATO_HOME/secrets.json)')
    .option('--json', 'print JSON')
    .action(async (flags: { configPath?: string; secretsPath?: string; json?: boolean }) => {
      const checks = await runDoctor({
        target: loadTemporalTarget(),
        ...(flags.configPath ? { configPath: flags.configPath } : {}),
        ...(flags.secretsPath ? { secretsPath: flags.secretsPath } : {}),
      });
      const ok = checks.every((check) => check.ok);
      if (flags.json) {
        printJson(io, { ok, checks });
      } else {
        for (const check of checks) {
          io.stdout(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}\n`);
          if (!check.ok && check.fix) io.stdout(`      fix: ${check.fix.replace(/\n/g, '\n      ')}\n`);
        }
      }
      if (!ok) process.exitCode = 1;
    });

  registerGraphCommands(program, io);
  registerControlCommands(program, io);
  registerConfigCommands(program, io);
  registerRuntimeCommands(program, io);
  registerMcpCommand(program, io);
  return program;
}
