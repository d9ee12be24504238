/**
 * The demo behind `npm run demo`: a real task run on the dev server that `temporal-dev.sh`
 * started, by a real worker process and the real codex binary. Without OpenAI credentials the
 * model is the tests' scripted model server (it tells codex which shell commands to run), and the
 * demo says so.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { CodexRunnerClient, isTerminalState, loadTemporalTarget, type TaskRecord } from '../src';
import { formatEvent } from '../src/cli/output';
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
  const taskId = `demo-${Date.now().toString(36)}`;
  const prompt = 'Add greet.sh, a shell script that prints "Hello from codex-runner", and run it once to check it works.';

  let model: ScriptedModelServer | undefined;
  const workerArgs: string[] = [];
  let workerEnv: NodeJS.ProcessEnv = process.env;
  if (await hasCredentials()) {
    console.log('Using your configured OpenAI credentials.');
  } else {
    console.log('No OpenAI credentials configured: using the scripted model server (the real codex binary runs the commands it is told to).');
    model = await ScriptedModelServer.start({ log: false });
    model.script({
      when: 'greet.sh',
      steps: [
        exec(`printf '#!/bin/sh\\necho "Hello from codex-runner"\\n' > greet.sh && chmod +x greet.sh`),
        exec('./greet.sh'),
        say('Added greet.sh; running it prints "Hello from codex-runner".'),
      ],
    });
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
  let task: TaskRecord;
  try {
    await client.startTask({ taskId, repoPath: repo, prompt });
    console.log(`\nTask ${taskId} started in ${repo}`);
    console.log(`Watch it in the Web UI: http://127.0.0.1:8233/namespaces/${target.namespace}/workflows/codex-task-${taskId}\n`);
    let seen = 0;
    for (;;) {
      for (const event of await client.listEvents(taskId, seen)) {
        console.log(formatEvent(event));
        seen = event.seq;
      }
      task = await client.getTask(taskId);
      if (isTerminalState(task.state) && (await client.listEvents(taskId, seen)).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await client.close();
    worker.kill('SIGTERM');
    await workerExited;
    await model?.stop();
  }

  console.log(`\nTask ${taskId} ended ${task.state}. (Worker log: ${workerLog})`);
  if (task.commitSha) {
    console.log(`Commit ${task.commitSha} on ${task.branchName}: ${task.filesChanged?.join(', ')}`);
    console.log(`Worktree: ${task.worktreePath}`);
  }
  console.log('\nMore to try:');
  console.log(`  npx codex-runner status ${taskId}`);
  console.log(`  npx codex-runner events ${taskId}`);
  console.log(`  ./temporal-dev.sh cli workflow list --query 'CodexTaskState="completed"'`);
  console.log('  ./temporal-dev.sh stop   # when you are done with the Web UI');
  if (task.state !== 'completed') process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
