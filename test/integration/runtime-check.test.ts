import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { RunnerConfig } from '../../src/contracts/config';
import { hostNameFrom, taskWorkflowId } from '../../src/contracts/ids';
import type { TaskRecord } from '../../src/contracts/task';
import { MIN_CODEX_VERSION } from '../../src/host/codex-binary';
import { useRunnerHarness } from '../support/runner-harness';
import { exec, say } from '../../src/scripted-model/scripted-model-server';

// One worker for the whole file: it reads its config file at every runtime check, so each test
// rewrites that file and runs a real task through it.
const harness = useRunnerHarness();
let workingConfig: RunnerConfig;

beforeAll(async () => {
  workingConfig = JSON.parse(await readFile(harness().configPath, 'utf8')) as RunnerConfig;
});

afterEach(async () => {
  await writeFile(harness().configPath, JSON.stringify(workingConfig));
});

async function runTaskWith(config: RunnerConfig, taskId: string): Promise<{ task: TaskRecord; repo: string }> {
  await writeFile(harness().configPath, JSON.stringify(config));
  const repo = await harness().makeRepo();
  await harness().client.startTask({ taskId, repoPath: repo, prompt: `Write a file (${taskId}-marker)` });
  return { task: await harness().client.waitForTask(taskId), repo };
}

async function fakeCodex(script: string): Promise<string> {
  const file = path.join(harness().codexEnv.root, `fake-codex-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('a codex.codexPath that does not exist', () => {
  let task: TaskRecord;
  let repo: string;

  beforeAll(async () => {
    ({ task, repo } = await runTaskWith({ ...workingConfig, codex: { ...workingConfig.codex, codexPath: '/nonexistent/bin/codex' } }, 'missing-codex'));
  });

  it('fails the task with CODEX_VERIFY_FAILED, saying which setting points where', async () => {
    expect(task.state).toBe('failed');
    expect(task.failure).toEqual({
      code: 'CODEX_VERIFY_FAILED',
      message: 'The codex binary /nonexistent/bin/codex does not exist (codex.codexPath in the config file).',
    });
    const description = await harness().client.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).describe();
    expect(description.status.name).toBe('FAILED');
  });

  it('fails before the task gets a branch or a worktree', async () => {
    const events = await harness().client.listEvents(task.taskId);
    expect(events.map((event) => event.type)).toEqual(['task.queued', 'task.placed', 'task.failed']);
    expect(events.at(-1)).toMatchObject({ errorCode: 'CODEX_VERIFY_FAILED' });
    expect(existsSync(path.join(repo, '.plato', 'worktrees', task.taskId))).toBe(false);
    expect((await simpleGit(repo).branchLocal()).all).toEqual(['main']);
  });
});

it(`fails a task whose codex is older than ${MIN_CODEX_VERSION} with CODEX_VERIFY_FAILED and says what to install`, async () => {
  const old = await fakeCodex('echo "codex-cli 0.100.0"');
  const { task } = await runTaskWith({ ...workingConfig, codex: { ...workingConfig.codex, codexPath: old } }, 'old-codex');
  expect(task.failure?.code).toBe('CODEX_VERIFY_FAILED');
  expect(task.failure?.message).toBe(
    `codex 0.100.0 at ${old} is older than ${MIN_CODEX_VERSION}, the oldest this runner supports. Install @openai/codex@${MIN_CODEX_VERSION} or newer (\`codex-runner runtime install\`), or point codex.codexPath at a newer codex.`,
  );
});

it('fails a task whose codex does not run with CODEX_VERIFY_FAILED', async () => {
  const broken = await fakeCodex('echo "segfault" >&2; exit 139');
  const { task } = await runTaskWith({ ...workingConfig, codex: { ...workingConfig.codex, codexPath: broken } }, 'broken-codex');
  expect(task.failure?.code).toBe('CODEX_VERIFY_FAILED');
  expect(task.failure?.message).toContain(`\`${broken} --version\` failed`);
});

it('fails a task on a host without any credential with CODEX_VERIFY_FAILED and the commands that add one', async () => {
  // The OpenAI provider (no scripted model), no codexAuth, and the harness's fresh CODEX_HOME has no login.
  const { task } = await runTaskWith({}, 'no-credential');
  expect(task.failure?.code).toBe('CODEX_VERIFY_FAILED');
  expect(task.failure?.message).toBe(
    `Codex has no credential on worker host ${hostNameFrom(hostname())}: no OpenAI API key or ChatGPT login is configured. ` +
      'Run `codex-runner config set-openai-key --api-key-env OPENAI_API_KEY` (or --api-key-stdin), or `codex-runner config auth-chatgpt` (add --device-code on a host without a browser).',
  );
});

it("fails a task when the config records a ChatGPT login that the worker's CODEX_HOME does not have", async () => {
  const { task } = await runTaskWith(
    {
      codexAuth: {
        provider: 'chatgpt_oauth',
        chatGptOAuth: { accountId: 'dev@example.com', email: 'dev@example.com', tokenSource: 'codex_app_server', updatedAt: new Date().toISOString() },
      },
    },
    'chatgpt-elsewhere',
  );
  expect(task.failure?.code).toBe('CODEX_VERIFY_FAILED');
  expect(task.failure?.message).toContain(`Codex's auth store ${path.join(harness().codexEnv.codexHome, 'auth.json')} does not exist`);
  expect(task.failure?.message).toContain('with the same CODEX_HOME as the worker');
});

it('runs the next task once the config is fixed, without restarting the worker, and records which codex checked in', async () => {
  harness().model.script({ when: 'fixed-runtime-marker', steps: [exec('echo ok > ok.txt'), say('done')] });
  const { task } = await runTaskWith(workingConfig, 'fixed-runtime');
  expect(task.state).toBe('completed');
  const checked = (await harness().client.listEvents(task.taskId)).find((event) => event.type === 'runtime.checked');
  expect(checked).toMatchObject({ version: MIN_CODEX_VERSION, codexPath: expect.stringMatching(/@openai\/codex-linux-x64\/vendor\/.*\/bin\/codex$/) });
});

it('refuses to start a worker that has no credential for Codex, naming the fix, rather than taking tasks and failing each', async () => {
  const empty = path.join(harness().codexEnv.root, 'empty-config.json');
  await writeFile(empty, '{}');
  const run = await harness().cli(['worker', '--config-path', empty]);
  expect(run.code).toBe(1);
  expect(run.stdout).not.toContain('Worker ready');
  expect(run.stderr).toBe(
    'CODEX_VERIFY_FAILED: This worker has no credential for Codex, so it does not take tasks: no OpenAI API key or ChatGPT login is configured. Run `codex-runner config set-openai-key --api-key-env OPENAI_API_KEY` (or --api-key-stdin), or `codex-runner config auth-chatgpt` (add --device-code on a host without a browser), then start the worker again (`codex-runner doctor` checks it).\n',
  );
  const doctor = await harness().cli(['doctor', '--config-path', empty]);
  expect(doctor.code).toBe(1);
  expect(doctor.stdout).toContain('FAIL  credentials: no OpenAI API key or ChatGPT login is configured\n      fix: Run `codex-runner config set-openai-key');
});
