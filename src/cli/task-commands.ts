import { Option, type Command } from 'commander';
import type { CodexRunnerClient } from '../client/codex-runner-client';
import { ValidationError } from '../client/errors';
import { TASK_STATES, type TaskState } from '../contracts/task-values';
import {
  addPromptOptions,
  addReadCommand,
  addTaskOptions,
  approvalOptions,
  repositoryFlags,
  checkOptions,
  codexOptions,
  integer,
  printStarted,
  promptFrom,
  warnWithoutWorker,
  withClient,
  type Cli,
  type PromptFlags,
  type TaskOptionFlags,
} from './common';
import { followEvents } from './control-commands';
import { approvalHint } from './graph-watch';
import { failUnlessCompleted } from './failure';
import { formatEvent, formatTask, formatTaskTable, printJson, type CliIO } from './output';

/** start, status, events, list. */
export function registerTaskCommands(program: Command, cli: Cli): void {
  registerStartCommand(program, cli);
  registerRetryCommand(program, cli);
  registerReadCommands(program, cli);
}

function registerStartCommand(program: Command, cli: Cli): void {
  const { io } = cli;
  const start = addPromptOptions(
    program.command('start').description('Start one task: a Codex session on its own branch and worktree'),
    'what the agent should do (this or --prompt-file is required)',
  )
    .option('--task-id <id>', 'task id (default: a new UUID)')
    .option('--repo-path <path>', 'git repository to work in (default: the current directory)')
    .option('--repo-url <url>', 'or the repository by its git URL: any host of a pool works on it, and the task branch is pushed there')
    .option('--base-ref <ref>', 'branch, tag or commit the task branch starts from (default: HEAD)')
    .option('--priority <n>', 'higher runs first', integer('priority'), 0);
  addTaskOptions(start, 'the task')
    .option('--wait', 'wait until the task ends; exit 1 unless it completed')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: TaskOptionFlags &
          PromptFlags & {
            taskId?: string;
            repoPath?: string;
            repoUrl?: string;
            baseRef?: string;
            priority: number;
            wait?: boolean;
            json?: boolean;
          },
      ) => {
        const prompt = await promptFrom(flags);
        if (prompt === undefined) throw new ValidationError('start needs a prompt: --prompt <text> or --prompt-file <path|->');
        await withClient(
          cli,
          async (client, target) => {
            const codex = codexOptions(flags);
            const checks = checkOptions(flags);
            const task = await client.startTask({
              prompt,
              ...repositoryFlags(flags),
              priority: flags.priority,
              ...(flags.taskId ? { taskId: flags.taskId } : {}),
              ...(flags.baseRef ? { baseRef: flags.baseRef } : {}),
              ...(codex ? { codex } : {}),
              ...(checks ? { checks } : {}),
              ...approvalOptions(flags),
            });
            if (!flags.json) {
              printStarted(io, target, {
                headline: `Started task ${task.taskId} (queued) in ${task.repoPath}`,
                follow: `codex-runner events ${task.taskId}`,
                taskId: task.taskId,
              });
            }
            if (!flags.wait) {
              if (flags.json) printJson(io, { task });
              return;
            }
            await printWhenFinished(io, client, task.taskId, flags.json);
          },
          flags.taskQueue,
        );
      },
    );
}

/**
 * `--wait`: streams the task's events as `events --follow` does (not with `--json`, whose output
 * is one document), says which command decides once it awaits approval, then prints the finished
 * task and exits 1 unless it completed.
 */
async function printWhenFinished(io: CliIO, client: CodexRunnerClient, taskId: string, json: boolean | undefined): Promise<void> {
  await warnWithoutWorker(io, client);
  if (!json) {
    for await (const event of client.watchEvents(taskId)) {
      io.stdout(`${formatEvent(event)}\n`);
      if (event.type === 'task.awaiting_approval') io.stdout(`${approvalHint(taskId)}\n`);
    }
  }
  const finished = await client.waitForTask(taskId);
  if (json) printJson(io, { task: finished });
  else io.stdout(`${formatTask(finished)}\n`);
  failUnlessCompleted(`Task ${taskId}`, finished);
}

function registerRetryCommand(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('retry')
    .description('Run a failed or cancelled task again: in its worktree, on its branch and Codex thread (a graph child: use graph retry)')
    .argument('<taskId>')
    .option('--message <text>', 'the new instruction (default: finish the task)')
    .option('--wait', 'wait until the task ends; exit 1 unless it completed')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { message?: string; wait?: boolean; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const task = await client.retryTask(taskId, flags.message !== undefined ? { message: flags.message } : {});
        if (!flags.json) io.stdout(`Retrying ${taskId} as a new run after run ${task.retryOfRunId}\n  follow: codex-runner events ${taskId}\n`);
        if (!flags.wait) {
          if (flags.json) printJson(io, { task });
          return;
        }
        await printWhenFinished(io, client, taskId, flags.json);
      });
    });
}

/** status, events, list: what a task is and was. */
function registerReadCommands(program: Command, cli: Cli): void {
  const { io } = cli;
  addReadCommand(program, cli, {
    name: 'status',
    description: "Show a task's record",
    read: (client, taskId) => client.getTask(taskId),
    format: formatTask,
    json: (task) => ({ task }),
  });

  program
    .command('events')
    .description("List a task's events (rebuilt from history once the task has finished)")
    .argument('<taskId>')
    .option('--after <seq>', 'only events after this sequence number', integer('after', 0), 0)
    .option('--follow', 'keep printing events as they happen until the task ends (with --json: one event per line)')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { after: number; follow?: boolean; json?: boolean }) => {
      await withClient(cli, async (client) => {
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
    .option('--repo-path <path>', 'only tasks in this repository (its absolute path, or the git URL it was named by)')
    .option('--host <name>', 'only tasks placed on this worker host')
    .option('--limit <n>', 'at most this many', integer('limit', 1), 100)
    .option('--json', 'print JSON')
    .action(async (flags: { state?: TaskState; parent?: string; repoPath?: string; host?: string; limit: number; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const tasks = await client.listTasks({
          limit: flags.limit,
          ...(flags.state ? { state: flags.state } : {}),
          ...(flags.parent ? { parentTaskId: flags.parent } : {}),
          ...(flags.repoPath ? { repoPath: flags.repoPath } : {}),
          ...(flags.host ? { host: flags.host } : {}),
        });
        if (flags.json) printJson(io, { tasks });
        else io.stdout(`${formatTaskTable(tasks)}\n`);
      });
    });
}
