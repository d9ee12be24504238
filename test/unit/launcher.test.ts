import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/host/git';
import { CommandQueue, ForkedLauncher, LauncherGoneError, useLauncher, type CommandRank, type CommandRun } from '../../src/host/launcher';
import { heldLauncher } from '../support/held-launcher';
import { descendantsOf, isRunning } from '../support/process-tree';

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

  it('ends a command that runs past its timeout, and says so', async () => {
    const late = await forked.run('sh', ['-c', 'sleep 30'], { cwd: dir, env: process.env, timeoutMs: 300 });
    expect(late).toMatchObject({ code: null, signal: 'SIGTERM', timedOut: true });
    expect(await forked.run('sh', ['-c', 'exit 0'], { cwd: dir, env: process.env, timeoutMs: 5_000 })).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
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
    // The type a caller retries on: the command may run again under a new helper.
    await expect(hanging).rejects.toBeInstanceOf(LauncherGoneError);
    const second = Number((await run('echo $PPID')).stdout.trim());
    expect(second).not.toBe(first);
  });

  it('carries runGit once installed, and hands back to this process when restored', async () => {
    const carried: string[][] = [];
    const restore = useLauncher({ run: (file, args, options) => (carried.push(args), forked.run(file, args, options)) });
    try {
      const init = await runGit(dir, ['init', '-q']);
      expect(init.code).toBe(0);
      expect((await runGit(dir, ['rev-parse', '--is-inside-work-tree'])).stdout.trim()).toBe('true');
      await expect(runGit(path.join(dir, 'missing'), ['status'])).rejects.toThrow(/Cannot run git status/);
    } finally {
      restore();
    }
    expect(carried).toEqual([['init', '-q'], ['rev-parse', '--is-inside-work-tree'], ['status']]);
    await runGit(dir, ['status']);
    expect(carried).toHaveLength(3);
  });

  it('ends with the process that started it, even one killed with SIGKILL', async () => {
    // A stand-in worker: starts a helper, prints the helper's pid, and waits to be killed.
    // (The helper does not keep its parent alive: the interval does.)
    const script = `
      setInterval(() => undefined, 1000);
      const { ForkedLauncher } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/host/launcher.js'))});
      new ForkedLauncher(${JSON.stringify(HELPER)}).run('sh', ['-c', 'echo $PPID'], { cwd: process.cwd(), env: process.env })
        .then((run) => process.stdout.write(run.stdout));`;
    const worker = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const helperPid = await new Promise<number>((resolve) => worker.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
    expect(isRunning(helperPid)).toBe(true);
    worker.kill('SIGKILL');
    for (let waited = 0; isRunning(helperPid); waited += 50) {
      if (waited > 10_000) throw new Error(`helper ${helperPid} still runs 10 s after its worker was killed`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});

describe('CommandQueue', () => {
  const options = { cwd: '/', env: {} };

  it('runs at most its limit at once; the others wait, lowest rank first, then in order of arrival', async () => {
    const { inner, started, end } = heldLauncher();
    let rank: CommandRank = [0, 0];
    const queue = new CommandQueue(inner, 2, () => rank);
    const runs: Record<string, Promise<CommandRun>> = {};
    for (const [file, r] of [
      ['a', [1, 5]],
      ['b', [1, 5]],
      ['late-worktree', [1, 9]],
      ['old-worktree', [1, 2]],
      ['commit', [0, 7]],
      ['second-old-worktree', [1, 2]],
    ] as const) {
      rank = r;
      runs[file] = queue.run(file, [], options);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b']);
    await end('a');
    expect(started).toEqual(['a', 'b', 'commit']);
    await end('b');
    await end('commit');
    expect(started).toEqual(['a', 'b', 'commit', 'old-worktree', 'second-old-worktree']);
    await expect(runs.commit).resolves.toMatchObject({ stdout: 'commit' });
    await end('old-worktree');
    await end('second-old-worktree');
    await end('late-worktree');
    expect(started).toEqual(['a', 'b', 'commit', 'old-worktree', 'second-old-worktree', 'late-worktree']);
  });

  it('frees the slot of a command that failed, and passes its failure on', async () => {
    const { inner, started, end } = heldLauncher();
    const queue = new CommandQueue(inner, 1);
    const failing = queue.run('gone', [], options);
    const next = queue.run('next', [], options);
    await end('gone', new Error('The launcher process ended (SIGKILL) while running a command'));
    await expect(failing).rejects.toThrow(/launcher process ended/);
    expect(started).toEqual(['gone', 'next']);
    await end('next');
    await expect(next).resolves.toMatchObject({ code: 0 });
    // With nothing running, the next command starts at once.
    const third = queue.run('third', [], options);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['gone', 'next', 'third']);
    await end('third');
    await third;
  });

  it('lets a command that runs past its hold time go on outside the count', async () => {
    const { inner, started, end } = heldLauncher();
    const queue = new CommandQueue(inner, 1, undefined, 50);
    const hung = queue.run('hook-that-hangs', [], options);
    const next = queue.run('next', [], options);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['hook-that-hangs']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toEqual(['hook-that-hangs', 'next']);
    await end('next');
    await expect(next).resolves.toMatchObject({ code: 0 });
    // Its end does not free a second place: one command runs, the next waits.
    await end('hook-that-hangs');
    await hung;
    const [a, b] = [queue.run('a', [], options), queue.run('b', [], options)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.slice(2)).toEqual(['a']);
    await end('a');
    await end('b');
    await Promise.all([a, b]);
  });
});
