import { rm } from 'node:fs/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { findChecksIn, runChecks, type ChecksRun, type RunChecksInput } from '../../src/activities/run-checks';
import { makeTestRepo } from '../support/test-repo';

let dir: string;
beforeAll(async () => {
  dir = await makeTestRepo('run-checks-', { 'README.md': '# repo\n' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const environment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
const checks = (input: RunChecksInput, env = environment()) => env.run<[RunChecksInput], ChecksRun, typeof runChecks>(runChecks, input);

describe('runChecks', () => {
  it('runs the commands in the worktree until one does not pass, with their output', async () => {
    const { results } = await checks({
      worktreePath: dir,
      commands: ['pwd', 'echo out; echo err >&2; exit 3', 'echo never'],
      commandTimeout: '1m',
    });
    expect(results).toEqual([
      expect.objectContaining({ command: 'pwd', outcome: 'passed', exitCode: 0, output: `${dir}\n` }),
      expect.objectContaining({ command: 'echo out; echo err >&2; exit 3', outcome: 'failed', exitCode: 3, output: 'out\nerr\n' }),
    ]);
  });

  it('calls a command that cannot run, or runs over its limit, errored', async () => {
    const missing = await checks({ worktreePath: dir, commands: ['no-such-command-here'], commandTimeout: '1m' });
    expect(missing.results[0]).toMatchObject({ outcome: 'errored', exitCode: 127, reason: 'command not found' });
    const slow = await checks({ worktreePath: dir, commands: ['sleep 30'], commandTimeout: '300ms' });
    expect(slow.results[0]).toMatchObject({ outcome: 'errored', exitCode: null, reason: 'timed out after 300 ms' });
    expect(await findChecksIn(dir)).toEqual([]);
  });

  it('kills the whole process group when cancelled', async () => {
    const env = environment();
    const run = checks({ worktreePath: dir, commands: ['sleep 30 & sleep 30; wait'], commandTimeout: '1m' }, env);
    for (let tries = 0; (await findChecksIn(dir)).length < 2 && tries < 50; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await findChecksIn(dir)).length).toBeGreaterThanOrEqual(2);
    env.cancel();
    await expect(run).rejects.toThrow();
    for (let tries = 0; (await findChecksIn(dir)).length > 0 && tries < 20; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await findChecksIn(dir)).toEqual([]);
  });
});
