import { execFile, fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What a short command left behind: how it ended and what it printed. */
export interface CommandRun {
  /** Exit code; `null` when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (no such program, no such `cwd`). */
  startError?: string;
  /** Set when it ran past `timeoutMs` and was ended with SIGTERM. */
  timedOut?: boolean;
}

export interface CommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Ends the command with SIGTERM after this long (default: no limit). */
  timeoutMs?: number;
}

/** Runs short commands (git, `codex --version`) to completion and collects their output. */
export interface Launcher {
  run(file: string, args: string[], options: CommandOptions): Promise<CommandRun>;
}

const MAX_BUFFER = 64 * 1024 * 1024;

/** The launcher's helper process was gone before a command could end: the command may be run again. */
export class LauncherGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LauncherGoneError';
  }
}

/** Runs a command from this process with execFile. */
export function runHere(file: string, args: string[], { cwd, env, timeoutMs }: CommandOptions): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: MAX_BUFFER, timeout: timeoutMs ?? 0 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number' && !error.signal) {
        resolve({ code: null, signal: null, stdout, stderr, startError: error.message });
        return;
      }
      const signal = error?.signal ?? null;
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
        signal,
        stdout,
        stderr,
        ...(timeoutMs && error?.killed && signal === 'SIGTERM' ? { timedOut: true } : {}),
      });
    });
  });
}

const direct: Launcher = { run: runHere };

/** What the helper process is asked to run. */
export interface LaunchRequest {
  id: number;
  file: string;
  args: string[];
  options: CommandOptions;
}
type Reply = { id: number } & CommandRun;

/**
 * Starts commands from a small helper process instead of this one.
 *
 * Starting a program forks the process that starts it, and a fork costs in proportion to that
 * process's memory: from a 300–600 MB worker each git command costs 15–30 ms of CPU with the
 * worker's event loop blocked meanwhile (measured: 2.3 ms from an empty Node process, 15.6 ms
 * at 300 MB, 27 ms at 600 MB). The helper (launcher-process.js) is a bare Node process that
 * execFiles on request over IPC. It is started on first use, restarted if it dies (the commands
 * it was running fail with an error, and the activities' retries run them again), and it exits
 * when this process goes: a command it started runs to its end, as one started here would.
 */
export class ForkedLauncher implements Launcher {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (run: CommandRun) => void; reject: (error: Error) => void }>();

  /** @param helperScript the compiled launcher-process.js (beside this file once built). */
  constructor(private readonly helperScript = path.join(__dirname, 'launcher-process.js')) {}

  run(file: string, args: string[], options: CommandOptions): Promise<CommandRun> {
    const child = this.child ?? this.start();
    const request: LaunchRequest = { id: this.nextId++, file, args, options };
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      child.send(request, (error) => {
        if (!error) return;
        this.pending.delete(request.id);
        reject(new LauncherGoneError(`Cannot start ${file}: the launcher process is gone (${error.message})`));
      });
    });
  }

  /** Ends the helper process; commands still pending fail. */
  close(): void {
    this.child?.kill();
  }

  private start(): ChildProcess {
    const child = fork(this.helperScript, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The helper should stay small: no inspector, no flags meant for the worker.
      execArgv: [],
    });
    child.on('message', ({ id, ...run }: Reply) => {
      const waiting = this.pending.get(id);
      if (!waiting) return;
      this.pending.delete(id);
      waiting.resolve(run);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const gone = new LauncherGoneError(`The launcher process ended (${signal ?? `exit code ${code}`}) while running a command`);
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(gone);
      }
    });
    // Neither the helper nor its channel keeps this process alive.
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }
}

/** Where a queued command goes: lower first, comparing the first number, then the second. */
export type CommandRank = readonly [number, number];

/**
 * Runs at most `maxRunning` of `inner`'s commands at once; the others wait, lowest
 * {@link CommandRank} first, then in the order they came. `rank` is asked when a command is
 * requested, in the caller's async context (a worker ranks by the activity asking). A command
 * still running after `holdMs` gives its place up and runs on outside the count, so commands
 * that hang (a hook, a filter, a lock) cannot stop the others for longer than that. So the bound
 * holds for commands shorter than `holdMs`; longer ones add `maxRunning` at most per `holdMs`.
 *
 * Unbounded, a graph releasing 200 children ran up to 100 `git worktree add` at once (one per
 * local activity slot), and the commit a dependent waited for shared the cores with all of them.
 */
export class CommandQueue implements Launcher {
  private running = 0;
  private arrived = 0;
  private readonly waiting: { rank: CommandRank; arrived: number; go: () => void }[] = [];

  constructor(
    private readonly inner: Launcher,
    private readonly maxRunning: number,
    private readonly rank: () => CommandRank = () => [0, 0],
    private readonly holdMs = 10_000,
  ) {}

  async run(file: string, args: string[], options: CommandOptions): Promise<CommandRun> {
    if (this.running >= this.maxRunning) {
      const rank = this.rank();
      await new Promise<void>((go) => {
        const entry = { rank, arrived: this.arrived++, go };
        const later = this.waiting.findIndex((other) => compareRanks(entry, other) < 0);
        this.waiting.splice(later === -1 ? this.waiting.length : later, 0, entry);
      });
    } else {
      this.running++;
    }
    let holding = true;
    const giveUp = () => {
      if (!holding) return;
      holding = false;
      // The place passes straight to the next command, so one arriving meanwhile cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    };
    const slow = setTimeout(giveUp, this.holdMs);
    slow.unref();
    try {
      return await this.inner.run(file, args, options);
    } finally {
      clearTimeout(slow);
      giveUp();
    }
  }
}

function compareRanks(a: { rank: CommandRank; arrived: number }, b: { rank: CommandRank; arrived: number }): number {
  return a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.arrived - b.arrived;
}

let current: Launcher = direct;

/** The launcher commands go through: this process unless a worker installed a {@link ForkedLauncher}. */
export function launcher(): Launcher {
  return current;
}

/** Sends commands through `next` from now on; returns a function that restores the previous launcher. */
export function useLauncher(next: Launcher): () => void {
  const previous = current;
  current = next;
  return () => {
    current = previous;
  };
}
