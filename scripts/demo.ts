/**
 * The demo behind `npm run demo`: a small real task graph (a chain and a fan-out) run on the dev
 * server that `temporal-dev.sh` started, by a real worker process and the real codex binary. Without OpenAI credentials the
 * model is the tests' scripted model server (it tells codex which shell commands to run), and the
 * demo says so.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { CodexRunnerClient, isTerminalState, loadTemporalTarget, type TaskState } from '../src';
import { formatGraph, formatGraphResults } from '../src/cli/graph-commands';
import { resolveOpenAIApiKey } from '../src/host/credentials';
import { platoHome } from '../src/host/plato-home';
import { loadRunnerConfig } from '../src/host/runner-config';
import { createCodexTestEnv } from '../test/support/codex-env';
import { exec, say, ScriptedModelServer } from '../test/support/scripted-model-server';

const ROOT = path.resolve(__dirname, '..');

async function hasCredentials(): Promise<boolean> {
  const config = await loadRunnerConfig().catch(() => ({}));
  return (await resolveOpenAIApiKey(config).catch(() => undefined)) !== undefined || 'codexAuth' in config;
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

async function main(): Promise<void> {
  const target = loadTemporalTarget();
  const repo = await makeDemoRepo();
  const graphId = `demo-${Date.now().toString(36)}`;
  const goal = 'Give the greeter project a greeting script with a test, and the usual project files.';
  const children = [
    { taskId: `${graphId}-greet`, prompt: 'Add greet.sh, a shell script that prints "Hello from codex-runner".', priority: 10 },
    { taskId: `${graphId}-test`, prompt: 'Add test_greet.sh, which runs greet.sh and checks its output; run it.', dependencyTaskIds: [`${graphId}-greet`] },
    { taskId: `${graphId}-license`, prompt: 'Add an MIT LICENSE file.' },
    { taskId: `${graphId}-changelog`, prompt: 'Add a CHANGELOG.md with an Unreleased section.' },
    { taskId: `${graphId}-editorconfig`, prompt: 'Add an .editorconfig for shell and Markdown files.' },
  ];

  let model: ScriptedModelServer | undefined;
  const workerArgs: string[] = [];
  let workerEnv: NodeJS.ProcessEnv = process.env;
  if (await hasCredentials()) {
    console.log('Using your configured OpenAI credentials.');
  } else {
    console.log('No OpenAI credentials configured: using the scripted model server (the real codex binary runs the commands it is told to).');
    model = await ScriptedModelServer.start({ log: false });
    const scripts: [string, string[]][] = [
      ['Add greet.sh', [`printf '#!/bin/sh\\necho "Hello from codex-runner"\\n' > greet.sh && chmod +x greet.sh`]],
      [
        'Add test_greet.sh',
        [`printf '#!/bin/sh\\ntest "$(./greet.sh)" = "Hello from codex-runner" && echo PASS\\n' > test_greet.sh && chmod +x test_greet.sh`, './test_greet.sh'],
      ],
      ['MIT LICENSE', ['echo "MIT License" > LICENSE']],
      ['CHANGELOG.md', [`printf '# Changelog\\n\\n## Unreleased\\n' > CHANGELOG.md`]],
      ['.editorconfig', [`printf 'root = true\\n\\n[*.{sh,md}]\\nindent_style = space\\n' > .editorconfig`]],
    ];
    for (const [marker, commands] of scripts) {
      model.script({ when: marker, steps: [...commands.map((command) => exec(command)), say(`Done: ${marker}.`)] });
    }
    const codexEnv = await createCodexTestEnv();
    const configPath = path.join(codexEnv.root, 'config.json');
    await writeFile(configPath, JSON.stringify({ codex: { config: model.codexConfig() } }));
    workerArgs.push('--config-path', configPath);
    workerEnv = { ...codexEnv.env, TEMPORAL_ADDRESS: target.address, TEMPORAL_NAMESPACE: target.namespace };
  }

  const workerLog = path.join(platoHome(), 'demo', 'worker.log');
  const worker = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'worker', ...workerArgs], {
    env: workerEnv,
    stdio: ['ignore', 'pipe', openSync(workerLog, 'a')],
  });
  const workerExited = new Promise((resolve) => worker.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    worker.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Worker ready')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });

  const client = await CodexRunnerClient.connect();
  let finalState: TaskState;
  try {
    await client.createTaskGraph({ parent: { taskId: graphId, repoPath: repo, prompt: goal }, children });
    console.log(`\nTask graph ${graphId} started in ${repo}: ${children.length} children (greet -> test, and three independent ones).`);
    console.log(`Watch it in the Web UI: http://127.0.0.1:8233/namespaces/${target.namespace}/workflows/codex-task-${graphId}\n`);
    const seen = new Map<string, TaskState>();
    for (;;) {
      const graph = await client.getTaskGraph(graphId);
      for (const task of [...graph.children, graph.parent]) {
        if (seen.get(task.taskId) !== task.state) {
          seen.set(task.taskId, task.state);
          console.log(`${new Date().toISOString().slice(11, 19)}  ${task.taskId === graphId ? 'graph' : 'task '} ${task.taskId}: ${task.state}`);
        }
      }
      if (isTerminalState(graph.parent.state)) {
        finalState = graph.parent.state;
        console.log(`\n${formatGraph(graph)}\n\n${formatGraphResults(await client.getTaskGraphResults(graphId))}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await client.close();
    worker.kill('SIGTERM');
    await workerExited;
    await model?.stop();
  }

  console.log(`\nWorker log: ${workerLog}`);
  console.log('More to try:');
  console.log(`  git -C ${repo} log --oneline --graph plato/graph-${graphId}`);
  console.log(`  npx codex-runner graph status ${graphId}`);
  console.log(`  npx codex-runner events ${graphId}-test`);
  console.log(`  ./temporal-dev.sh cli workflow list --query 'CodexParentTaskId="${graphId}"'`);
  console.log('  ./temporal-dev.sh stop   # when you are done with the Web UI');
  if (finalState !== 'completed') process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
