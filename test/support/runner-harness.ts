import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { CodexRunnerClient } from '../../src/client/codex-runner-client';
import { connectTemporalClient } from '../../src/client/connection';
import { createCodexTestEnv, type CodexTestEnv } from './codex-env';
import { ScriptedModelServer } from '../../src/scripted-model/scripted-model-server';
import { RECORDED_HISTORIES } from './replay';
import { makeTestRepo } from './test-repo';
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from './temporal-dev-server';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLI_ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** The whole environment of the CLI process. */
  env: Record<string, string>;
  /** Written to its stdin, which is then closed (default: an empty stdin). */
  input?: string;
  /** Called with stdout and stderr as they grow; return true to stop the process (SIGTERM) there. */
  stopWhen?: (stdout: string, stderr: string) => boolean;
}

/** Runs the built `codex-runner` CLI (`dist/`) as a process and collects its output. */
export function runCli(args: string[], options: RunCliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: options.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (options.stopWhen?.(stdout, stderr)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    child.stdin.end(options.input);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A `codex-runner worker` running as its own process, as in production. */
export class WorkerProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('Worker ready')) {
      if (this.child.exitCode !== null) throw new Error(`worker exited early:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`worker not ready after ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * Everything an integration test needs, all real: a Temporal dev server on free ports, the
 * scripted model server, a fresh CODEX_HOME, a runner config pointing codex at the model, a
 * client, and worker processes started from `dist/` (run `npm run build` first; `npm test` does).
 */
export class RunnerHarness {
  private readonly workers: WorkerProcess[] = [];
  private readonly repos: string[] = [];

  private constructor(
    readonly server: TemporalDevServer,
    readonly model: ScriptedModelServer,
    readonly codexEnv: CodexTestEnv,
    readonly configPath: string,
    readonly client: CodexRunnerClient,
  ) {}

  static async start(serverOptions: TemporalDevServerOptions = {}): Promise<RunnerHarness> {
    const [serverStart, modelStart] = await Promise.allSettled([startTemporalDevServer(serverOptions), ScriptedModelServer.start({ log: false })]);
    if (serverStart.status === 'rejected' || modelStart.status === 'rejected') {
      // Stop whichever did start, or it keeps jest from exiting.
      if (serverStart.status === 'fulfilled') await serverStart.value.dispose();
      if (modelStart.status === 'fulfilled') await modelStart.value.stop();
      throw serverStart.status === 'rejected' ? serverStart.reason : (modelStart as PromiseRejectedResult).reason;
    }
    const [server, model] = [serverStart.value, modelStart.value];
    const codexEnv = await createCodexTestEnv();
    const configPath = path.join(codexEnv.root, 'runner-config.json');
    await writeFile(configPath, JSON.stringify({ codex: { config: model.codexConfig() } }, null, 2));
    const client = new CodexRunnerClient(
      await connectTemporalClient({ connectionOptions: { address: server.address }, namespace: server.namespace, address: server.address }),
    );
    return new RunnerHarness(server, model, codexEnv, configPath, client);
  }

  /** Environment for runner processes: codex's test env plus where Temporal is. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.codexEnv.env,
      PLATO_HOME: path.join(this.codexEnv.root, 'plato-home'),
      TEMPORAL_ADDRESS: this.server.address,
      TEMPORAL_NAMESPACE: this.server.namespace,
      ...extra,
    };
  }

  /**
   * A worker with the harness's config (the scripted model), or with none (`harnessConfig: false`:
   * `$PLATO_HOME/config.json`, absent); `cliEntry` runs another copy of the CLI, `env` adds to the harness's.
   */
  async startWorker(
    args: string[] = [],
    { harnessConfig = true, cliEntry = CLI_ENTRY, env = {} }: { harnessConfig?: boolean; cliEntry?: string; env?: Record<string, string> } = {},
  ): Promise<WorkerProcess> {
    const config = harnessConfig ? ['--config-path', this.configPath] : [];
    const child = spawn(process.execPath, [cliEntry, 'worker', ...config, ...args], {
      env: this.env(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  /** Runs the `codex-runner` CLI as a process and collects its output. */
  cli(args: string[], env: Record<string, string> = {}, stopWhen?: RunCliOptions['stopWhen']): Promise<CliRun> {
    return runCli(args, { env: this.env(env), ...(stopWhen ? { stopWhen } : {}) });
  }

  /** `temporal workflow start` of a task's or graph's workflow, typed as the README shows it for the plain temporal CLI. */
  temporalStart(type: 'taskWorkflow' | 'taskGraphWorkflow', taskId: string, input: unknown): Promise<CliRun> {
    const args = ['workflow', 'start', '--type', type, '--task-queue', 'codex-runner', '--workflow-id', `codex-task-${taskId}`];
    return this.server.cli([...args, '--input', typeof input === 'string' ? input : JSON.stringify(input)]);
  }

  /** A fresh git repository with one commit holding `files`. */
  async makeRepo(files: Record<string, string> = { 'README.md': '# test repo\n' }): Promise<string> {
    const repo = await makeTestRepo('codex-runner-repo-', files);
    this.repos.push(repo);
    return repo;
  }

  /** A bare repository whose one commit holds `files`: a remote that a pool reaches by its `file://` URL. */
  async makeRemote(files?: Record<string, string>): Promise<{ url: string; dir: string }> {
    const repo = await this.makeRepo(files);
    const dir = `${repo}.git`;
    await simpleGit().clone(repo, dir, ['--bare', '--quiet']);
    this.repos.push(dir);
    return { url: pathToFileURL(dir).href, dir };
  }

  /**
   * Saves a task's workflow history for the replay suite (test/histories) when
   * RECORD_HISTORIES=1, unless a history of that name exists: a recorded history is the baseline
   * of its path and keeps replaying until the patch that retires the path removes it (see the
   * README's Development section).
   */
  async recordHistory(name: string, taskId: string): Promise<void> {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(RECORDED_HISTORIES, `${name}.json`);
    if (existsSync(file)) return;
    const shown = await this.server.cli(['workflow', 'show', '--workflow-id', `codex-task-${taskId}`, '--output', 'json']);
    if (shown.code !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
    await mkdir(RECORDED_HISTORIES, { recursive: true });
    await writeFile(file, shown.stdout);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop('SIGKILL')));
    await this.client.close().catch(() => undefined);
    await Promise.all([this.model.stop(), this.server.dispose()]);
    await this.codexEnv.cleanup();
    await Promise.all(this.repos.map((repo) => rm(repo, { recursive: true, force: true })));
  }
}

/**
 * Registers beforeAll/afterAll hooks that start a harness with one worker and stop it; the
 * returned function gives the running harness inside tests.
 */
export function useRunnerHarness(workerArgs: string[] = []): () => RunnerHarness {
  let harness: RunnerHarness | undefined;
  beforeAll(async () => {
    harness = await RunnerHarness.start();
    await harness.startWorker(workerArgs);
  });
  afterAll(async () => {
    await harness?.stop();
  });
  return () => {
    if (harness === undefined) throw new Error('the runner harness is not started');
    return harness;
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
