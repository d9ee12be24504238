/**
 * The demo behind `npm run demo`: a small real task graph (a chain and a fan-out) run on the dev
 * server that `temporal-dev.sh` started, by a worker process of its own on a task queue of its own,
 * and the real codex binary. Without credentials the model is the tests' scripted model server (it
 * tells codex which shell commands to run), and the demo says so. It ends with the graph, its
 * results and, when a task failed, what failed and where to read why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { CodexRunnerClient, isTerminalState, loadTemporalTarget, type TaskGraphSnapshot, type TaskState } from '../src';
import { formatGraph, formatGraphResults } from '../src/cli/graph-commands';
import { checkCodexCredentials, resolveOpenAIApiKey } from '../src/host/credentials';
import { platoHome } from '../src/host/plato-home';
import { loadRunnerConfig } from '../src/host/runner-config';
import { createCodexTestEnv, type CodexTestEnv } from '../test/support/codex-env';
import { exec, say, ScriptedModelServer } from '../src/scripted-model/scripted-model-server';

const ROOT = path.resolve(__dirname, '..');

/** The credential codex would find in the user's own config, by the worker's own rule; `undefined` when none. */
async function configuredCredential(): Promise<string | undefined> {
  const config = await loadRunnerConfig().catch(() => ({}));
  const apiKey = await resolveOpenAIApiKey(config).catch(() => undefined);
  const check = checkCodexCredentials({ config, apiKey, env: process.env });
  return check.ok ? check.detail : undefined;
}

async function makeDemoRepo(): Promise<string> {
  const parent = path.join(platoHome(), 'demo');
  await mkdir(parent, { recursive: true });
  const repo = await mkdtemp(path.join(parent, 'repo-'));
  const git = simpleGit(repo);
  await git.init(['--initial-branch=main']);
  await writeFile(path.join(repo, 'README.md'), '# greeter\n\nA tiny project for the codex-runner demo.\n');
  await git.add('.');
  await git.raw(['-c', 'user.name=codex-runner demo', '-c', 'user.email=demo@localhost', 'commit', '-q', '-m', 'initial commit']);
  return repo;
}

function demoChildren(graphId: string) {
  return [
    { taskId: `${graphId}-greet`, prompt: 'Add greet.sh, a shell script that prints "Hello from codex-runner".', priority: 10 },
    { taskId: `${graphId}-test`, prompt: 'Add test_greet.sh, which runs greet.sh and checks its output; run it.', dependencyTaskIds: [`${graphId}-greet`] },
    { taskId: `${graphId}-license`, prompt: 'Add an MIT LICENSE file.' },
    { taskId: `${graphId}-changelog`, prompt: 'Add a CHANGELOG.md with an Unreleased section.' },
    { taskId: `${graphId}-editorconfig`, prompt: 'Add an .editorconfig for shell and Markdown files.' },
  ];
}

/** What the scripted model tells codex to do for each child, by a marker in the child's prompt. */
const SCRIPTS: [string, string[]][] = [
  ['Add greet.sh', [`printf '#!/bin/sh\\necho "Hello from codex-runner"\\n' > greet.sh && chmod +x greet.sh`]],
  [
    'Add test_greet.sh',
    [`printf '#!/bin/sh\\ntest "$(./greet.sh)" = "Hello from codex-runner" && echo PASS\\n' > test_greet.sh && chmod +x test_greet.sh`, './test_greet.sh'],
  ],
  ['MIT LICENSE', ['echo "MIT License" > LICENSE']],
  ['CHANGELOG.md', [`printf '# Changelog\\n\\n## Unreleased\\n' > CHANGELOG.md`]],
  ['.editorconfig', [`printf 'root = true\\n\\n[*.{sh,md}]\\nindent_style = space\\n' > .editorconfig`]],
];

interface DemoWorker {
  process: ChildProcess;
  exited: Promise<number | null>;
  /** Stops the scripted model and removes the worker's throw-away CODEX_HOME, when it has them. */
  dispose(): Promise<void>;
}

/**
 * Starts the demo's own worker on the demo's own task queue: other workers polling this server
 * (on the default queue, or another demo's) never see the demo's tasks, nor it theirs. Without
 * credentials it runs against the scripted model server.
 */
async function startDemoWorker(taskQueue: string, log: string): Promise<DemoWorker> {
  const target = loadTemporalTarget();
  let model: ScriptedModelServer | undefined;
  let codexEnv: CodexTestEnv | undefined;
  const args = ['worker', '--task-queue', taskQueue];
  let env: NodeJS.ProcessEnv = process.env;
  const credential = await configuredCredential();
  if (credential !== undefined) {
    console.log(`Using your configured credentials: ${credential}.`);
  } else {
    console.log('No OpenAI credentials configured: using the scripted model server (the real codex binary runs the commands it is told to).');
    model = await ScriptedModelServer.start({ log: false });
    for (const [marker, commands] of SCRIPTS) {
      model.script({ when: marker, steps: [...commands.map((command) => exec(command)), say(`Done: ${marker}.`)] });
    }
    codexEnv = await createCodexTestEnv();
    const configPath = path.join(codexEnv.root, 'config.json');
    await writeFile(configPath, JSON.stringify({ codex: { config: model.codexConfig() } }));
    args.push('--config-path', configPath);
    env = { ...codexEnv.env, TEMPORAL_ADDRESS: target.address, TEMPORAL_NAMESPACE: target.namespace };
  }
  console.log(`Its tasks go to task queue ${taskQueue}, which only the demo's own worker polls: other workers on this server do not take them.`);
  const worker = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), ...args], { env, stdio: ['ignore', 'pipe', openSync(log, 'a')] });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  const ready = new Promise<void>((resolve) => {
    worker.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Worker ready')) resolve();
    });
  });
  const dispose = async () => {
    await model?.stop();
    await codexEnv?.cleanup();
  };
  const early = await Promise.race([ready.then(() => undefined), exited.then((code) => ({ code }))]);
  if (early !== undefined) {
    await dispose();
    throw new Error(`The demo's worker exited with ${early.code} before it was ready; its log: ${log}`);
  }
  return { process: worker, exited, dispose };
}

/** Prints each task's state as it changes until the graph has ended; `undefined` when the worker died first. */
async function watchGraph(client: CodexRunnerClient, graphId: string, worker: DemoWorker): Promise<TaskGraphSnapshot | undefined> {
  let workerGone = false;
  void worker.exited.then(() => (workerGone = true));
  const seen = new Map<string, TaskState>();
  for (;;) {
    const graph = await client.getTaskGraph(graphId);
    for (const task of [...graph.children, graph.parent]) {
      if (seen.get(task.taskId) !== task.state) {
        seen.set(task.taskId, task.state);
        console.log(`${new Date().toISOString().slice(11, 19)}  ${task.taskId === graphId ? 'graph' : 'task '} ${task.taskId}: ${task.state}`);
      }
    }
    if (isTerminalState(graph.parent.state)) return graph;
    if (workerGone) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The failed tasks of an ended graph, each with its code, message and where to read its events. */
function failureLines(graph: TaskGraphSnapshot): string[] {
  const failed = [...graph.children, graph.parent].filter((task) => task.failure !== undefined);
  return failed.flatMap((task) => [`  ${task.taskId}: ${task.failure!.code}: ${task.failure!.message}`, `    npx codex-runner events ${task.taskId}`]);
}

async function main(): Promise<void> {
  const target = loadTemporalTarget();
  const repo = await makeDemoRepo();
  const graphId = `demo-${Date.now().toString(36)}`;
  const taskQueue = `codex-runner-${graphId}`;
  const goal = 'Give the greeter project a greeting script with a test, and the usual project files.';
  const children = demoChildren(graphId);
  const workerLog = path.join(platoHome(), 'demo', 'worker.log');
  const worker = await startDemoWorker(taskQueue, workerLog);

  const client = await CodexRunnerClient.connect({ taskQueue });
  let graph: TaskGraphSnapshot | undefined;
  try {
    await client.createTaskGraph({ parent: { taskId: graphId, repoPath: repo, prompt: goal }, children });
    console.log(`\nTask graph ${graphId} started in ${repo}: ${children.length} children (greet -> test, and three independent ones).`);
    console.log(`Watch it in the Web UI: http://127.0.0.1:8233/namespaces/${target.namespace}/workflows/codex-task-${graphId}\n`);
    graph = await watchGraph(client, graphId, worker);
    if (graph) console.log(`\n${formatGraph(graph)}\n\n${formatGraphResults(await client.getTaskGraphResults(graphId))}`);
  } finally {
    await client.close();
    worker.process.kill('SIGTERM');
    await worker.exited;
    await worker.dispose();
  }

  if (graph === undefined) {
    console.log(`\nThe demo's worker stopped before the graph ended; its log: ${workerLog}`);
  } else if (graph.state !== 'completed') {
    console.log(`\nThe graph ended ${graph.state}. What failed:`);
    for (const line of failureLines(graph)) console.log(line);
  }
  console.log(`\nThe demo's worker has stopped (its log: ${workerLog}); the dev server keeps running.`);
  console.log('More to try:');
  console.log(`  git -C ${repo} log --oneline --graph plato/graph-${graphId}`);
  console.log(`  npx codex-runner graph status ${graphId}`);
  console.log(`  npx codex-runner events ${graphId}-test`);
  console.log(`  ./temporal-dev.sh cli workflow list --query 'CodexParentTaskId="${graphId}"'`);
  console.log('  ./temporal-dev.sh stop   # when you are done with the Web UI');
  if (graph?.state !== 'completed') process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
