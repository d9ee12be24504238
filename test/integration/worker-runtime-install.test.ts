import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CodexRunnerClient } from '../../src/client/codex-runner-client';
import { MIN_CODEX_VERSION } from '../../src/host/codex-binary';
import { say } from '../../src/scripted-model/scripted-model-server';
import { RunnerHarness } from '../support/runner-harness';

// A worker host whose codex-runner came without @openai/codex (its platform package is an
// optional dependency npm may leave out): a copy of dist/ beside a node_modules that has every
// package but codex. Its first task installs the pinned codex into $PLATO_HOME/runtime from
// npm's cache (`npm ci` put the tarballs there; seconds) and records it in the task's events.
const REPO_ROOT = path.resolve(__dirname, '..', '..');
let harness: RunnerHarness;
let root: string;

/** A codex-runner install in `dir` whose node_modules lacks @openai/codex and its platform package. */
async function installWithoutCodex(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'node_modules', '@openai'), { recursive: true });
  await cp(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  await cp(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  await symlink(path.join(REPO_ROOT, 'scripts'), path.join(dir, 'scripts'));
  const modules = await realpath(path.join(REPO_ROOT, 'node_modules'));
  for (const name of await readdir(modules)) {
    if (name !== '@openai' && name !== '.bin') await symlink(path.join(modules, name), path.join(dir, 'node_modules', name));
  }
  for (const name of await readdir(path.join(modules, '@openai'))) {
    if (name !== 'codex' && !name.startsWith('codex-linux') && !name.startsWith('codex-darwin') && !name.startsWith('codex-win32')) {
      await symlink(path.join(modules, '@openai', name), path.join(dir, 'node_modules', '@openai', name));
    }
  }
  return path.join(dir, 'dist', 'cli', 'main.js');
}

/**
 * What npm on this host reads from the developer's environment, which the harness's environment
 * (a HOME of its own) leaves out: the cache holding the tarballs, the user config, the CA bundle.
 */
async function hostNpmSettings(): Promise<Record<string, string>> {
  const setting = async (key: string) => (await promisify(execFile)('npm', ['config', 'get', key])).stdout.trim();
  const settings: Record<string, string> = { npm_config_cache: await setting('cache'), npm_config_userconfig: await setting('userconfig') };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) {
    const value = process.env[name];
    if (value !== undefined) settings[name] = value;
  }
  return settings;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'codex-runner-without-codex-'));
  const cliEntry = await installWithoutCodex(path.join(root, 'install'));
  harness = await RunnerHarness.start();
  await harness.startWorker([], { cliEntry, env: await hostNpmSettings() });
  // The same install, on a queue of its own, on a host whose npm reaches no registry and has an empty cache.
  await harness.startWorker(['--task-queue', 'no-npm'], {
    cliEntry,
    env: {
      PLATO_HOME: path.join(root, 'offline-plato-home'),
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: path.join(root, 'empty-npm-cache'),
      npm_config_fetch_retries: '0',
      npm_config_offline: 'false',
    },
  });
});

afterAll(async () => {
  await harness?.stop();
  await rm(root, { recursive: true, force: true });
});

it(`installs codex ${MIN_CODEX_VERSION} at the first task and records runtime.install.started and .completed before runtime.checked`, async () => {
  const repo = await harness.makeRepo();
  harness.model.script({ when: 'install-marker', steps: [say('ran on the installed codex')] });
  await harness.client.startTask({ taskId: 'installs-codex', repoPath: repo, prompt: 'Say something (install-marker)' });
  const task = await harness.client.waitForTask('installs-codex');
  expect(task).toMatchObject({ state: 'completed', finalMessage: 'ran on the installed codex' });

  const events = await harness.client.listEvents('installs-codex');
  const runtimeDir = path.join(harness.codexEnv.root, 'plato-home', 'runtime');
  expect(events.filter((event) => event.type.startsWith('runtime.'))).toEqual([
    expect.objectContaining({
      type: 'runtime.install.started',
      attempt: 1,
      message: expect.stringContaining(`installing @openai/codex@${MIN_CODEX_VERSION} into ${runtimeDir}`),
    }),
    expect.objectContaining({ type: 'runtime.install.completed', message: expect.stringContaining(`Installed codex ${MIN_CODEX_VERSION} at ${runtimeDir}/`) }),
    expect.objectContaining({ type: 'runtime.checked', version: MIN_CODEX_VERSION, codexPath: expect.stringContaining(`${runtimeDir}/`) }),
  ]);
  const [started, completed] = events.filter((event) => event.type.startsWith('runtime.install.'));
  expect(Date.parse(started!.at)).toBeLessThanOrEqual(Date.parse(completed!.at));
  await harness.recordHistory('task-runtime-installed', 'installs-codex');

  // The next task finds the installed runtime: nothing is installed again.
  harness.model.script({ when: 'installed-marker', steps: [say('again')] });
  await harness.client.startTask({ taskId: 'finds-codex', repoPath: repo, prompt: 'Say it again (installed-marker)' });
  expect((await harness.client.waitForTask('finds-codex')).state).toBe('completed');
  expect((await harness.client.listEvents('finds-codex')).map((event) => event.type).filter((type) => type.startsWith('runtime.'))).toEqual([
    'runtime.checked',
  ]);
});

it('fails the task with CODEX_INSTALL_FAILED when npm cannot install codex, after runtime.install.started and .failed', async () => {
  const offline = new CodexRunnerClient(harness.client.temporal, { taskQueue: 'no-npm' });
  const repo = await harness.makeRepo();
  await offline.startTask({ taskId: 'cannot-install', repoPath: repo, prompt: 'Never runs' });
  const task = await offline.waitForTask('cannot-install');
  expect(task.failure).toMatchObject({ code: 'CODEX_INSTALL_FAILED', message: expect.stringContaining(`npm install @openai/codex@${MIN_CODEX_VERSION}`) });
  const events = await offline.listEvents('cannot-install');
  expect(events.map((event) => event.type)).toEqual(['task.queued', 'task.placed', 'runtime.install.started', 'runtime.install.failed', 'task.failed']);
  expect(events[3]).toMatchObject({ errorCode: 'CODEX_INSTALL_FAILED', message: task.failure!.message });
  await harness.recordHistory('task-runtime-install-failed', 'cannot-install');
});
