import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createCheckCodexRuntime } from '../../src/activities/check-codex-runtime';
import type { RunnerConfig } from '../../src/contracts/config';
import { MIN_CODEX_VERSION } from '../../src/host/codex-binary';
import { ConfigError } from '../../src/host/runner-config';

// A provider without `env_key` needs no credential, so the credential check passes on any host.
const LOCAL_PROVIDER = { model_provider: 'local', model_providers: { local: { name: 'local', base_url: 'http://127.0.0.1:9/v1' } } };

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'check-codex-runtime-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A codex that answers `--version` with `version` and writes a line to `runs` each time it is run. */
async function countingCodex(version: string): Promise<{ codexPath: string; runs: () => Promise<number> }> {
  const codexPath = path.join(dir, 'codex');
  const runs = path.join(dir, 'runs');
  await writeFile(codexPath, `#!/bin/sh\necho run >> '${runs}'\necho "codex-cli ${version}"\n`);
  await chmod(codexPath, 0o755);
  return { codexPath, runs: async () => (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length };
}

/** The runtime check as a worker runs it, with the config `config()` returns at each call. */
function checkWith(config: () => RunnerConfig) {
  const checkCodexRuntime = createCheckCodexRuntime({ loadConfig: () => Promise.resolve(config()), loadApiKey: () => Promise.resolve(undefined) });
  // The environment logs each failed activity as a warning; these failures are the point.
  return () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(checkCodexRuntime);
}

describe('checkCodexRuntime in one worker process', () => {
  it('runs `codex --version` once for any number of tasks, and reports the version every time', async () => {
    const { codexPath, runs } = await countingCodex(MIN_CODEX_VERSION);
    const check = checkWith(() => ({ codex: { codexPath, config: LOCAL_PROVIDER } }));
    for (let task = 0; task < 3; task++) {
      await expect(check()).resolves.toMatchObject({ codexPath, version: MIN_CODEX_VERSION, source: 'config', installed: false });
    }
    expect(await runs()).toBe(1);
  });

  it('verifies the binary again once its file changes', async () => {
    const { codexPath, runs } = await countingCodex(MIN_CODEX_VERSION);
    const check = checkWith(() => ({ codex: { codexPath, config: LOCAL_PROVIDER } }));
    await check();
    await countingCodex('0.99.0');
    await expect(check()).rejects.toMatchObject({ type: 'CODEX_VERIFY_FAILED', message: expect.stringContaining('codex 0.99.0') });
    expect(await runs()).toBe(2);
  });

  it('verifies a binary that failed again at the next task', async () => {
    const { codexPath, runs } = await countingCodex('0.100.0');
    const check = checkWith(() => ({ codex: { codexPath, config: LOCAL_PROVIDER } }));
    await expect(check()).rejects.toMatchObject({ type: 'CODEX_VERIFY_FAILED', nonRetryable: true });
    await expect(check()).rejects.toMatchObject({ type: 'CODEX_VERIFY_FAILED', nonRetryable: true });
    expect(await runs()).toBe(2);
  });

  it('checks the credential at every task, after the binary was verified', async () => {
    const { codexPath } = await countingCodex(MIN_CODEX_VERSION);
    let config: RunnerConfig = { codex: { codexPath, config: LOCAL_PROVIDER } };
    const check = checkWith(() => config);
    await check();
    config = { codex: { codexPath }, codexAuth: { provider: 'openai_api_key' } };
    await expect(check()).rejects.toMatchObject({
      type: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining('the config file selects an OpenAI API key, but the secrets file holds none'),
    });
  });

  it('fails for good on any other error: it would not heal by running again', async () => {
    const { codexPath } = await countingCodex(MIN_CODEX_VERSION);
    const checkCodexRuntime = createCheckCodexRuntime({
      loadConfig: () => Promise.resolve({ codex: { codexPath, config: LOCAL_PROVIDER } }),
      loadApiKey: () => Promise.reject(new Error('EACCES: permission denied, open secrets.json')),
    });
    await expect(new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(checkCodexRuntime)).rejects.toMatchObject({
      type: 'CODEX_RUNTIME_FAILED',
      nonRetryable: true,
      message: expect.stringContaining('EACCES'),
    });
  });

  it('fails for good on a config file it cannot read', async () => {
    const check = checkWith(() => {
      throw new ConfigError('config.json: codex.codexPath must be a string');
    });
    await expect(check()).rejects.toMatchObject({ type: 'CONFIG_INVALID', nonRetryable: true, message: expect.stringContaining('codex.codexPath') });
  });
});
