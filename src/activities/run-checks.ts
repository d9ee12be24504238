import { spawn } from 'node:child_process';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import type { CheckResult } from '../contracts/checks';
import { durationMs } from '../contracts/task';
import { describeSpan } from '../contracts/model-outage';
import { findProcesses, isAlive } from './orphaned-codex';
import { capOutput } from './normalize-codex-item';

export interface RunChecksInput {
  worktreePath: string;
  /** Run in order; the first that does not pass ends the run. */
  commands: string[];
  /** Each command's time limit, e.g. `10m`. */
  commandTimeout: string;
}

/** Every command's result, in order, up to and including the first that did not pass. */
export interface ChecksRun {
  results: CheckResult[];
}

/** The environment variable every check process (and what it starts) carries: how a retry finds a dead worker's leftovers. */
const CHECK_MARKER = 'CODEX_RUNNER_CHECK_WORKTREE';
const HEARTBEAT_MS = 5_000;

/**
 * Runs a task's setup or verify commands in its worktree (`bash -c`), one after another, each in
 * a process group of its own with a time limit, heartbeating while they run. Output (stdout and
 * stderr together) is capped, head and tail kept.
 *
 * - Cancellation (an interrupt, a cancel) and a time limit kill the command's whole process
 *   group. A retry after a dead worker first kills whatever that worker's commands left running
 *   in the worktree, found by the marker in their environment (Linux: /proc).
 * - Exit 0 passes; 126 or 127 (not executable, not found), a time limit or a command that
 *   cannot start is `errored`; any other exit `failed`.
 */
export async function runChecks(input: RunChecksInput): Promise<ChecksRun> {
  const context = Context.current();
  if (context.info.attempt > 1) await stopChecksIn(input.worktreePath);
  const results: CheckResult[] = [];
  const timer = setInterval(() => context.heartbeat({ done: results.length }), HEARTBEAT_MS);
  context.heartbeat({ done: 0 });
  try {
    for (const command of input.commands) {
      const result = await runCommand(command, input.worktreePath, durationMs(input.commandTimeout), context.cancellationSignal);
      results.push(result);
      if (result.outcome !== 'passed') break;
    }
  } catch (error) {
    if (context.cancellationSignal.aborted) throw error;
    throw ApplicationFailure.retryable(`Running checks in ${input.worktreePath} failed: ${(error as Error).message}`, ErrorCode.verificationErrored);
  } finally {
    clearInterval(timer);
  }
  return { results };
}

function runCommand(command: string, cwd: string, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [CHECK_MARKER]: cwd },
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => killGroup();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(limit);
      signal.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      settle();
      resolve({ command, outcome: 'errored', exitCode: null, durationMs: Date.now() - started, output: '', reason: `could not start: ${error.message}` });
    });
    child.once('close', (code) => {
      settle();
      // What the command's own children left behind goes with its group.
      killGroup();
      if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const output = capOutput(Buffer.concat(chunks).toString('utf8'));
      const durationMs = Date.now() - started;
      if (timedOut) {
        resolve({ command, outcome: 'errored', exitCode: null, durationMs, ...output, reason: `timed out after ${describeSpan(timeoutMs)}` });
      } else if (code === 126 || code === 127) {
        resolve({ command, outcome: 'errored', exitCode: code, durationMs, ...output, reason: code === 127 ? 'command not found' : 'not executable' });
      } else {
        resolve({ command, outcome: code === 0 ? 'passed' : 'failed', exitCode: code, durationMs, ...output });
      }
    });
  });
}

/** Kills every process a check in `worktreePath` left running (found by the marker in its environment). */
export async function stopChecksIn(worktreePath: string): Promise<number[]> {
  const pids = await findChecksIn(worktreePath);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.filter(isAlive);
}

/** Processes started by a check in `worktreePath`, by the marker in their environment (Linux: /proc; nothing elsewhere). */
export function findChecksIn(worktreePath: string): Promise<number[]> {
  const marker = `${CHECK_MARKER}=${worktreePath}`;
  return findProcesses('environ', (environ) => environ.split('\0').includes(marker));
}
