import { rm } from 'node:fs/promises';
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createRunCodexTurn, HEARTBEAT_INTERVAL_MS } from '../../src/activities/run-codex-turn';
import { ConfigError } from '../../src/host/runner-config';
import { makeTestRepo } from '../support/test-repo';

let repo: string;
beforeAll(async () => {
  repo = await makeTestRepo('run-codex-turn-', { 'README.md': '# repo\n' });
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('runCodexTurn', () => {
  it('leaves nothing beating when it fails before codex starts (a config file broken since the last turn)', async () => {
    const runCodexTurn = createRunCodexTurn({
      loadConfig: () => Promise.reject(new ConfigError('config.json: codex.model must be a string')),
      loadApiKey: () => Promise.resolve(undefined),
    });
    // A client that is never connected: nothing here reaches a server.
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR'), client: new Client() });
    const heartbeats: number[] = [];
    env.on('heartbeat', () => heartbeats.push(Date.now()));

    await expect(env.run(runCodexTurn, { taskId: 't', worktreePath: repo, prompt: 'p' })).rejects.toThrow('codex.model must be a string');
    const failedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT_INTERVAL_MS));
    expect(heartbeats.filter((at) => at > failedAt)).toEqual([]);
  });

  it('checks the credential where it runs, before codex starts', async () => {
    const codexHome = await makeTestRepo('empty-codex-home-', {});
    const runCodexTurn = createRunCodexTurn({
      loadConfig: () => Promise.resolve({}),
      loadApiKey: () => Promise.resolve(undefined),
      codexEnv: { CODEX_HOME: codexHome, CODEX_API_KEY: '' },
    });
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR'), client: new Client() });
    const failure = env.run(runCodexTurn, { taskId: 't', worktreePath: repo, prompt: 'p' });
    await expect(failure).rejects.toMatchObject({
      type: 'CODEX_VERIFY_FAILED',
      message: expect.stringMatching(/^Codex has no credential on worker host .+: no OpenAI API key/),
    });
    await rm(codexHome, { recursive: true, force: true });
  });
});
