import { Command } from 'commander';
import { ValidationError, WrongStateError } from '../client/errors';
import type { CreateTaskGraphInput, GraphChildInput, GraphSynthesis, TaskGraphResults, TaskGraphSnapshot } from '../contracts/graph';
import { isTerminalState } from '../contracts/task-values';
import type { CodexRunnerClient } from '../client/codex-runner-client';
import { ChildSpecError, parseChildSpec } from './child-spec';
import { redrawable, watchGraph } from './graph-watch';
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
import { failUnlessCompleted } from './failure';
import { printJson, type CliIO } from './output';

interface GraphStartFlags extends TaskOptionFlags, PromptFlags {
  taskId?: string;
  repoPath?: string;
  repoUrl?: string;
  baseRef?: string;
  priority?: number;
  child: string[];
  file?: string;
  maxConcurrentTasks?: number;
  open?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** `--child` specs as children; a bad spec is a ValidationError naming the fix. */
function childrenOf(specs: string[]): GraphChildInput[] {
  try {
    return specs.map(parseChildSpec);
  } catch (error) {
    if (error instanceof ChildSpecError) throw new ValidationError(error.message);
    throw error;
  }
}

const CHILD_SPEC_HELP = 'a child task: JSON ({"taskId","prompt","priority","dependencyTaskIds"}) or taskId:prompt[:priority]; repeatable';
const collectSpecs = (spec: string, all: string[]) => [...all, spec];

/** `--wait` of `graph start` and `graph retry`: watches the graph (silently with `--json`, whose output is one document). */
async function waitForGraph(io: CliIO, client: CodexRunnerClient, parentTaskId: string, json: boolean | undefined): Promise<TaskGraphSnapshot> {
  await warnWithoutWorker(io, client);
  if (json) {
    await client.waitForTask(parentTaskId);
    return client.getTaskGraph(parentTaskId);
  }
  return watchGraph(io, client, parentTaskId, redrawable());
}

/** Merges `--file` with the flags: flags set the parent's fields and add children. */
async function graphInput(flags: GraphStartFlags): Promise<CreateTaskGraphInput> {
  const fromFile = flags.file ? await (await import('./graph-file.js')).readGraphFile(flags.file) : {};
  const children: GraphChildInput[] = [...(fromFile.children ?? []), ...childrenOf(flags.child)];
  const codex = codexOptions(flags);
  const checks = checkOptions(flags);
  const prompt = await promptFrom(flags);
  // The flags name the repository over the file, which names it over the current directory.
  const { repoPath, repoUrl, ...fileParent } = fromFile.parent ?? {};
  const parent = {
    ...fileParent,
    ...(prompt !== undefined ? { prompt } : {}),
    ...(flags.taskId !== undefined ? { taskId: flags.taskId } : {}),
    ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
    ...(flags.baseRef !== undefined ? { baseRef: flags.baseRef } : {}),
    ...(codex ? { codex: { ...fromFile.parent?.codex, ...codex } } : {}),
    ...(checks ? { checks: { ...fromFile.parent?.checks, ...checks } } : {}),
    ...repositoryFlags(flags.repoPath !== undefined || flags.repoUrl !== undefined ? flags : { repoPath, repoUrl }),
  };
  if (parent.prompt === undefined) throw new ValidationError('graph start needs a prompt: --prompt <text>, --prompt-file <path|->, or parent.prompt in --file');
  const maxConcurrentTasks = flags.maxConcurrentTasks ?? fromFile.maxConcurrentTasks;
  return {
    ...fromFile,
    parent: { ...parent, prompt: parent.prompt },
    children,
    ...(maxConcurrentTasks ? { maxConcurrentTasks } : {}),
    ...(flags.open ? { open: true } : {}),
    ...approvalOptions(flags),
  };
}

export function formatGraph(graph: TaskGraphSnapshot): string {
  const header = ['TASK', 'STATE', 'PRIORITY', 'AFTER', 'COMMIT'];
  const rows = graph.children.map((child) => [
    child.taskId,
    child.state,
    String(child.priority),
    (graph.dependencies[child.taskId] ?? []).join(',') || '-',
    (child.filesChanged?.length === 0 ? 'no changes' : child.commitSha?.slice(0, 12)) ?? (child.failure ? child.failure.code : ''),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const table = [header, ...rows].map(
    (row) =>
      `  ${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}`,
  );
  const parent = graph.parent;
  return [
    `graph ${parent.taskId}: ${graph.state}`,
    `  repo ${parent.repoPath}`,
    ...(parent.branchName ? [`  branch ${parent.branchName} at ${parent.commitSha ?? '?'}`] : []),
    ...(parent.failure ? [`  failure ${parent.failure.code}: ${parent.failure.message}`] : []),
    ...table,
  ].join('\n');
}

/** Why a graph has no synthesis yet, or never will. */
function noSynthesis(results: TaskGraphResults): string {
  return isTerminalState(results.parentState)
    ? `No synthesis: the graph ended ${results.parentState} before it made one.`
    : 'No synthesis yet: some children have not finished.';
}

/** The synthesis: its classification and summary, then where the merged work is and what conflicted. */
export function formatSynthesis(synthesis: GraphSynthesis): string {
  return [
    `synthesis: ${synthesis.classification}`,
    synthesis.summary,
    ...(synthesis.branchName ? [`  branch ${synthesis.branchName}${synthesis.commitSha ? ` at ${synthesis.commitSha.slice(0, 12)}` : ''}`] : []),
    ...synthesis.conflicts.map((conflict) => `  conflict ${conflict.taskId}: ${conflict.files.join(', ')}`),
  ].join('\n');
}

export function formatGraphResults(results: TaskGraphResults): string {
  const lines = results.results.map(
    (result) =>
      `${result.taskId}: ${result.classification}${result.verification ? ` (verification ${result.verification})` : ''}${result.commitSha ? ` ${result.commitSha.slice(0, 12)}` : ''}${result.filesChanged.length ? ` [${result.filesChanged.join(', ')}]` : ''}\n    ${result.summary.replace(/\n/g, '\n    ')}`,
  );
  if (lines.length === 0) lines.push('No results yet.');
  lines.push('', results.synthesis ? formatSynthesis(results.synthesis) : noSynthesis(results));
  return lines.join('\n');
}

/** The graph's synthesis. @throws WrongStateError when it has none (yet). */
async function readSynthesis(client: CodexRunnerClient, taskId: string): Promise<GraphSynthesis> {
  const results = await client.getTaskGraphResults(taskId);
  if (results.synthesis === undefined) throw new WrongStateError(`Task graph ${results.parentTaskId} has no synthesis. ${noSynthesis(results)}`);
  return results.synthesis;
}

export function registerGraphCommands(program: Command, cli: Cli): void {
  const { io } = cli;
  const graph = program.command('graph').description('Task graphs: a parent goal split into child tasks that may depend on each other');

  const start = addPromptOptions(
    graph.command('start').description('Start a task graph (validated first; nothing is created when it is invalid)'),
    "the parent's prompt: the overall goal every child works toward (this, --prompt-file or parent.prompt in --file is required)",
  )
    .option('--task-id <id>', 'parent task id (default: a new UUID)')
    .option('--repo-path <path>', 'git repository the whole graph works in (default: the current directory)')
    .option('--repo-url <url>', 'or the repository by its git URL: any host of a pool works on it, and the branches are pushed there')
    .option('--base-ref <ref>', 'branch, tag or commit the graph starts from (default: HEAD)')
    .option('--priority <n>', "the parent's priority", integer('priority'))
    .option('--child <spec>', CHILD_SPEC_HELP, collectSpecs, [] as string[])
    .option('--file <graph.json|graph.yaml>', 'the graph as { parent, children, maxConcurrentTasks }, as the client library takes it')
    .option('--max-concurrent-tasks <n>', "how many of this graph's tasks run at once (default: no limit)", integer('max concurrent tasks', 1))
    .option('--open', 'the graph takes subtasks (graph add) and ends only once it is closed (graph close) and every child has ended');
  addTaskOptions(start, 'every child')
    .option('--wait', 'wait until every child has ended; exit 1 unless the graph completed')
    .option('--json', 'print JSON')
    .action(async (flags: GraphStartFlags) => {
      const input = await graphInput(flags);
      await withClient(
        cli,
        async (client, target) => {
          let snapshot = await client.createTaskGraph(input);
          const parentId = snapshot.parent.taskId;
          if (!flags.json) {
            const headline = `Started task graph ${parentId} with ${snapshot.children.length} children in ${snapshot.parent.repoPath}`;
            printStarted(io, target, { headline, follow: `codex-runner graph status ${parentId}`, taskId: parentId });
          }
          if (flags.wait) {
            snapshot = await waitForGraph(io, client, parentId, flags.json);
            if (!flags.json) io.stdout(`${formatGraph(snapshot)}\n`);
          }
          if (flags.json) printJson(io, { graph: snapshot });
          if (flags.wait) failUnlessCompleted(`Graph ${parentId}`, snapshot.parent, snapshot.state);
        },
        flags.taskQueue,
      );
    });

  graph
    .command('retry')
    .description('Run a failed or cancelled graph again: completed children carry over; failed and blocked ones run again, on their threads')
    .argument('<parentTaskId>')
    .option('--wait', 'wait until every child has ended; exit 1 unless the graph completed')
    .option('--json', 'print JSON')
    .action(async (parentTaskId: string, flags: { wait?: boolean; json?: boolean }) => {
      await withClient(cli, async (client) => {
        const retry = await client.retryGraph(parentTaskId);
        if (!flags.json) {
          const carried = retry.carriedTaskIds.length ? `; carried over: ${retry.carriedTaskIds.join(', ')}` : '';
          io.stdout(`Retrying graph ${parentTaskId} after run ${retry.retryOfRunId}: running again ${retry.retriedTaskIds.join(', ')}${carried}\n`);
        }
        if (!flags.wait) {
          if (flags.json) printJson(io, { retry });
          return;
        }
        const snapshot = await waitForGraph(io, client, parentTaskId, flags.json);
        if (flags.json) printJson(io, { retry, graph: snapshot });
        else io.stdout(`${formatGraph(snapshot)}\n`);
        failUnlessCompleted(`Graph ${parentTaskId}`, snapshot.parent, snapshot.state);
      });
    });

  graph
    .command('add')
    .description('Add children to a running graph: scheduled like the others, starting from their prerequisites (completed ones too)')
    .argument('<parentTaskId>')
    .option('--child <spec>', CHILD_SPEC_HELP, collectSpecs, [] as string[])
    .option('--json', 'print JSON')
    .action(async (parentTaskId: string, flags: { child: string[]; json?: boolean }) => {
      if (flags.child.length === 0) throw new ValidationError('graph add needs at least one --child');
      const children = childrenOf(flags.child);
      const snapshot = await withClient(cli, (client) => client.addSubtasks(parentTaskId, children));
      if (flags.json) return printJson(io, { graph: snapshot });
      io.stdout(`Added ${children.map((child) => child.taskId).join(', ')} to graph ${parentTaskId}\n`);
    });

  graph
    .command('close')
    .description('Close an open graph: it ends once every child has ended')
    .argument('<parentTaskId>')
    .option('--json', 'print JSON')
    .action(async (parentTaskId: string, flags: { json?: boolean }) => {
      const task = await withClient(cli, (client) => client.closeGraph(parentTaskId));
      if (flags.json) return printJson(io, { task });
      io.stdout(`Closed graph ${parentTaskId}: it ends once every child has ended\n`);
    });

  graph
    .command('watch')
    .description(
      'Follow a graph until it ends: on a terminal one redrawn table of the children (state, prerequisites, elapsed time, tokens, last event), else a line per state change',
    )
    .argument('<taskId>', "the graph's parent or any child")
    .action(async (taskId: string) => {
      await withClient(cli, async (client) => {
        const snapshot = await watchGraph(io, client, (await client.getTaskGraph(taskId)).parent.taskId, redrawable());
        io.stdout(`${formatGraph(snapshot)}\n`);
        failUnlessCompleted(`Graph ${snapshot.parent.taskId}`, snapshot.parent, snapshot.state);
      });
    });

  addReadCommand(graph, cli, {
    name: 'status',
    description: 'A graph by its parent id or any child id: parent, children, dependencies, aggregate state',
    read: (client, taskId) => client.getTaskGraph(taskId),
    format: formatGraph,
    json: (graph) => ({ graph }),
  });
  addReadCommand(graph, cli, {
    name: 'results',
    description: "A graph's worker results and, once every child finished, its synthesis",
    read: (client, taskId) => client.getTaskGraphResults(taskId),
    format: formatGraphResults,
    // Already the `results` list with what qualifies it (parentTaskId, parentState, synthesis).
    json: (results) => results,
  });
  addReadCommand(graph, cli, {
    name: 'synthesis',
    description: "A graph's synthesis: its one outcome once every child finished (fails while it has none)",
    read: readSynthesis,
    format: formatSynthesis,
    json: (synthesis) => ({ synthesis }),
  });
}
