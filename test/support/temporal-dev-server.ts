/**
 * A real Temporal dev server (`temporal server start-dev`, pinned CLI) for integration tests.
 *
 * Each server gets free ports and its own SQLite file in a temp directory, so a test can stop it
 * and bring it back on the same database and address (worker/client reconnect, durability).
 *
 * ```ts
 * let server: TemporalDevServer;
 * beforeAll(async () => { server = await startTemporalDevServer(); });
 * afterAll(async () => { await server?.stop(); });
 * // Connection.connect({ address: server.address }); server.namespace; await server.cli([...])
 * ```
 *
 * The CLI binary comes from scripts/install-temporal-cli.sh (installs it on first use), so the
 * tests need no preinstalled Temporal.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** The custom search attributes codex-runner workflows upsert; also registered by temporal-dev.sh. */
export const CODEX_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = Object.freeze({
  CodexTaskState: 'Keyword',
  CodexParentTaskId: 'Keyword',
  CodexRepoPath: 'Keyword',
  CodexPriority: 'Int',
  CodexHost: 'Keyword',
});

/**
 * Applied unless overridden. Update/eager start/etc. are already on by default in server 1.32.
 * Forcing the search-attribute cache refresh makes attributes created mid-test (operator service)
 * usable immediately instead of after the cache interval, as Temporal's own SDK suites do.
 */
const DEFAULT_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  'system.forceSearchAttributesCacheRefreshOnRead': true,
});

/**
 * How these servers and `temporal-dev.sh` tune the dev server (the temporal-dev.sh test checks
 * that its server runs with every one of these arguments; docs/decisions/0008-dev-server-tuning.md
 * says why):
 * - SQLite in WAL mode, synced at checkpoints: no journal file written and deleted, and no fsync,
 *   per transaction. A killed server loses nothing; a power cut may lose the last transactions.
 * - The history shard (the dev server has one) reads its transfer queue up to 100 times a second
 *   instead of 20. Every hop between workflows goes through it (a child's completion to its
 *   parent, a signal to its target, a new workflow task to matching); at 20 a hop waits up to 50 ms.
 */
export const SERVER_TUNING_ARGS: readonly string[] = Object.freeze([
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
  '--dynamic-config-value',
  'history.transferProcessorMaxPollRPS=100',
]);

export interface TemporalDevServerOptions {
  /** Serve the Web UI on a free port (default false: `--headless`, faster and fewer ports). */
  ui?: boolean;
  /** Extra namespaces to create at start; `default` always exists and is `server.namespace`. */
  namespaces?: readonly string[];
  /** Registered at start (default {@link CODEX_SEARCH_ATTRIBUTES}). Only applies to a new database. */
  searchAttributes?: Readonly<Record<string, SearchAttributeType>>;
  /** `--dynamic-config-value KEY=JSON`, merged over the defaults. */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** Use this SQLite file instead of a fresh temp one (the caller owns it; it is never deleted). */
  dbFile?: string;
  /** How long to wait for the frontend to report SERVING (default 60s). */
  startTimeoutMs?: number;
  /** Server log level (default `warn`); the log goes to `server.logFile`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface CliResult {
  stdout: string;
  stderr: string;
  /** Exit code; non-zero results are returned, not thrown, so tests can assert on failures. */
  code: number;
}

export interface TemporalDevServer {
  /** host:port of the frontend gRPC service. */
  readonly address: string;
  readonly namespace: string;
  readonly cliPath: string;
  readonly port: number;
  /** Set when started with `ui: true`. */
  readonly uiUrl: string | undefined;
  readonly dbFile: string;
  readonly logFile: string;
  /** Current server process id, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Kills the server (SIGTERM, SIGKILL after a grace period) and waits for it to exit; keeps the database. */
  stop(): Promise<void>;
  /** Stops if running, then starts again on the same database and ports and waits until healthy. */
  restart(): Promise<void>;
  /** Runs the CLI against this server (address/namespace preset via env; flags in args win). */
  cli(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** stop() and delete the temp directory (also done automatically when the process exits). */
  dispose(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const INSTALL_SCRIPT = join(REPO_ROOT, 'scripts', 'install-temporal-cli.sh');
const STOP_GRACE_MS = 15_000;
const HEALTH_POLL_MS = 150;

let cliPathPromise: Promise<string> | undefined;

/** Path of the pinned temporal CLI, installing it on first use; cached for the process. */
export function resolveTemporalCli(): Promise<string> {
  cliPathPromise ??= runCommand('bash', [INSTALL_SCRIPT], { env: process.env, timeoutMs: 300_000 }).then((r) => {
    const path = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || path === '') {
      throw new Error(`scripts/install-temporal-cli.sh failed (exit ${r.code}):\n${r.stderr}`);
    }
    return path;
  });
  // A failed install should be retried by the next caller rather than cached forever.
  cliPathPromise.catch(() => {
    cliPathPromise = undefined;
  });
  return cliPathPromise;
}

/**
 * A port that was free a moment ago, below the kernel's ephemeral range: a port from that range
 * (what `listen(0)` hands out) can be taken by anyone's outgoing connection or by another dev
 * server's internal listeners between our pick and the server's bind. Below it, only a process
 * that asks for that very number can collide.
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = [10_000, ephemeralRangeStart() - 1];
  for (let attempt = 0; high - low >= 1000 && attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port, host)) return port;
  }
  return kernelPickedPort(host);
}

function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 0) return first;
  } catch {
    // not Linux: assume Linux's default, which is lower than the IANA range (49152)
  }
  return 32768;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, host, () => srv.close(() => resolveFree(true)));
  });
}

function kernelPickedPort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === 'object') resolvePort(addr.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

// Servers still running or temp dirs still present when the test process exits: a crashed or
// forgotten afterAll must not leak a server (it would hold ports and CPU on a 2-core CI box).
const liveChildren = new Set<ChildProcess>();
const ownedTempDirs = new Set<string>();
process.once('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of ownedTempDirs) rmSync(dir, { recursive: true, force: true });
});

export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  // Suites run side by side: another server may take a port between our free-port pick and the
  // server's bind (the dev server also binds ports of its own). Pick again and retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalDevServerOnce(options);
    } catch (error) {
      if (attempt >= 4 || !(error instanceof Error) || !/address already in use/i.test(error.message)) throw error;
    }
  }
}

async function startTemporalDevServerOnce(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cliPath = await resolveTemporalCli();
  const host = '127.0.0.1';
  const port = await getFreePort(host);
  let uiPort = options.ui === true ? await getFreePort(host) : undefined;
  // Two listen(0) calls can in theory hand back the same number once the first is released.
  while (uiPort !== undefined && uiPort === port) uiPort = await getFreePort(host);

  const tempDir = mkdtempSync(join(tmpdir(), 'codex-temporal-'));
  ownedTempDirs.add(tempDir);
  const dbFile = options.dbFile ?? join(tempDir, 'temporal.db');
  const logFile = join(tempDir, 'server.log');
  const address = `${host}:${port}`;
  const namespace = 'default';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  // Hermetic: the developer's TEMPORAL_* variables and CLI config file (API keys, TLS, profiles)
  // must not leak into a plaintext local server or the test's CLI calls.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TEMPORAL_')) env[k] = v;
  }
  env.TEMPORAL_CONFIG_FILE = join(tempDir, 'no-such-temporal.toml');
  const cliEnv: NodeJS.ProcessEnv = { ...env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };

  const args = ['server', 'start-dev', '--db-filename', dbFile, '--ip', host, '--port', String(port)];
  args.push('--log-level', options.logLevel ?? 'warn');
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  for (const ns of options.namespaces ?? []) args.push('--namespace', ns);
  for (const [name, type] of Object.entries(options.searchAttributes ?? CODEX_SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  args.push(...SERVER_TUNING_ARGS);
  for (const [key, value] of Object.entries({ ...DEFAULT_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const cli = (cliArgs: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> =>
    runCommand(cliPath, cliArgs, { env: cliEnv, timeoutMs: opts.timeoutMs ?? 60_000 });

  const logTail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        await exited;
      } finally {
        clearTimeout(killTimer);
      }
    }
    child = undefined;
  };

  const start = async (): Promise<void> => {
    const logFd = openSync(logFile, 'a');
    let proc: ChildProcess;
    try {
      // Output goes straight to a file: a pipe nobody drains would eventually block the server.
      proc = spawn(cliPath, args, { env, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    child = proc;
    liveChildren.add(proc);
    let exitInfo: string | undefined;
    exited = new Promise<void>((resolveExit) => {
      proc.once('exit', (code, signal) => {
        exitInfo = `code ${String(code)}, signal ${String(signal)}`;
        liveChildren.delete(proc);
        resolveExit();
      });
      proc.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        liveChildren.delete(proc);
        resolveExit();
      });
    });

    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exitInfo !== undefined) {
        child = undefined;
        throw new Error(`temporal dev server exited during startup (${exitInfo}); log ${logFile}:\n${logTail()}`);
      }
      const health = await cli(['operator', 'cluster', 'health', '--command-timeout', '2s'], { timeoutMs: 10_000 });
      if (health.code === 0 && health.stdout.includes('SERVING')) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`temporal dev server at ${address} not healthy after ${startTimeoutMs}ms; log ${logFile}:\n${logTail()}`);
      }
      await sleep(HEALTH_POLL_MS);
    }
  };

  await start();

  return {
    address,
    namespace,
    cliPath,
    port,
    uiUrl: uiPort === undefined ? undefined : `http://${host}:${uiPort}`,
    dbFile,
    logFile,
    get pid(): number | undefined {
      return child?.pid;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    cli,
    dispose: async () => {
      await stop();
      rmSync(tempDir, { recursive: true, force: true });
      ownedTempDirs.delete(tempDir);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** execFile that resolves with the exit code instead of rejecting on non-zero exits. */
export function runCommand(file: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { env: opts.env, timeout: opts.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolveRun({ stdout, stderr, code: 0 });
      } else if (typeof error.code === 'number') {
        resolveRun({ stdout, stderr, code: error.code });
      } else if (error.signal !== undefined && error.signal !== null) {
        // Shell convention: 124 for our timeout, 128+ for any other death by signal.
        const note = error.killed === true ? `killed after ${opts.timeoutMs}ms` : `killed by ${error.signal}`;
        resolveRun({ stdout, stderr: `${stderr}\n(${note})`, code: error.killed === true ? 124 : 128 });
      } else {
        // Could not run at all (e.g. ENOENT): a broken setup, not a CLI result.
        reject(new Error(`Cannot run ${file}: ${(error as Error).message}`));
      }
    });
  });
}
