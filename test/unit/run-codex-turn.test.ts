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
});
