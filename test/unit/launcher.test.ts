import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/host/git';
import { ForkedLauncher, launcher, useLauncher } from '../../src/host/launcher';
import { descendantsOf } from '../support/process-tree';

// The helper runs from the build, as in a worker (npm test builds before jest runs).
const HELPER = path.resolve(__dirname, '../../dist/host/launcher-process.js');

describe('ForkedLauncher', () => {
  let forked: ForkedLauncher;
  let dir: string;

  beforeAll(async () => {
    expect(existsSync(HELPER)).toBe(true);
    dir = await mkdtemp(path.join(tmpdir(), 'launcher-'));
  });

  beforeEach(() => {
    forked = new ForkedLauncher(HELPER);
  });

  afterEach(() => forked.close());

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (script: string) => forked.run('sh', ['-c', script], { cwd: dir, env: process.env });

  it('runs a command in its cwd and returns its exit code, stdout and stderr', async () => {
    expect(await run('pwd; echo oops >&2; exit 3')).toEqual({ code: 3, signal: null, stdout: `${dir}\n`, stderr: 'oops\n' });
  });

  it('starts the command from a helper process, not from this one', async () => {
    const ran = await run('echo $PPID');
    const launcherPid = Number(ran.stdout.trim());
    expect(launcherPid).not.toBe(process.pid);
    expect(descendantsOf(process.pid)).toContain(launcherPid);
  });

  it('says when the command cannot be started', async () => {
    const missing = await forked.run('no-such-program-here', [], { cwd: dir, env: process.env });
    expect(missing).toMatchObject({ code: null, startError: expect.stringContaining('ENOENT') });
    const noCwd = await forked.run('sh', ['-c', 'true'], { cwd: path.join(dir, 'missing'), env: process.env });
    expect(noCwd).toMatchObject({ code: null, startError: expect.stringContaining('ENOENT') });
  });

  it('fails the commands of a helper that died, and starts a new helper for the next one', async () => {
    const first = Number((await run('echo $PPID')).stdout.trim());
    const hanging = run('sleep 30');
    process.kill(first, 'SIGKILL');
    await expect(hanging).rejects.toThrow(/launcher process ended/);
    const second = Number((await run('echo $PPID')).stdout.trim());
    expect(second).not.toBe(first);
  });

  it('carries runGit once installed, and hands back to this process when restored', async () => {
    const restore = useLauncher(forked);
    try {
      expect(launcher()).toBe(forked);
      const init = await runGit(dir, ['init', '-q']);
      expect(init.code).toBe(0);
      expect((await runGit(dir, ['rev-parse', '--is-inside-work-tree'])).stdout.trim()).toBe('true');
      await expect(runGit(path.join(dir, 'missing'), ['status'])).rejects.toThrow(/Cannot run git status/);
    } finally {
      restore();
    }
    expect(launcher()).not.toBe(forked);
  });
});
