/**
 * The benchmark's baseline: the same work as a task graph, done by a plain script with no
 * Temporal. For each task: `git worktree add -b <branch> <path> <base>`, one turn of the real
 * codex binary through `@openai/codex-sdk` (same config overrides and thread options as the
 * runner's turn), then `git add -A && git commit`. At most `slots` tasks at once, ready ones in
 * input order (a task whose prerequisite finished goes before every later-listed ready task, as
 * the reference system schedules them); a dependent starts from its prerequisite's commit.
 *
 * Run as its own process (`node --import tsx scripts/bench/baseline.ts <spec.json>`) so that its
 * process tree can be measured like the worker's; it prints a {@link BaselineResult} as JSON.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cpuDelta, machineBusySeconds, treeCpuSeconds, type CpuSeconds } from './cpu-time';
import type { CodexConfigObject } from '../../test/support/scripted-model-server';
import type { BenchChild } from './shapes';

const execFileAsync = promisify(execFile);

export interface BaselineSpec {
  repoPath: string;
  /** Commit the tasks without prerequisites start from. */
  baseSha: string;
  slots: number;
  goal: string;
  children: BenchChild[];
  /** Codex `--config` overrides (the scripted model's provider). */
  codexConfig: CodexConfigObject;
}

export interface BaselineTask {
  taskId: string;
  /** Milliseconds since the run started. */
  startedAt: number;
  finishedAt: number;
  worktreeMs: number;
  codexMs: number;
  commitMs: number;
  commitSha: string;
}

export interface BaselineResult {
  wallMs: number;
  /** This script and its codex and git children, from the first task's start to the last commit. */
  cpu: CpuSeconds;
  /** CPU every process on the machine used in that time. */
  machineCpu: number;
  tasks: BaselineTask[];
}

async function git(cwd: string, args: string[]): Promise<string> {
  return (await execFileAsync('git', args, { cwd })).stdout.trim();
}

export async function runBaseline(spec: BaselineSpec): Promise<BaselineResult> {
  const { Codex } = await import('@openai/codex-sdk');
  const codex = new Codex({ config: spec.codexConfig, env: process.env as Record<string, string> });
  await appendFile(path.join(spec.repoPath, '.git', 'info', 'exclude'), '/.plato/\n');
  await mkdir(path.join(spec.repoPath, '.plato', 'worktrees'), { recursive: true });

  const cpu0 = treeCpuSeconds(process.pid);
  const machine0 = machineBusySeconds();
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const commits = new Map<string, string>();
  const tasks: BaselineTask[] = [];
  let worktreeLock: Promise<unknown> = Promise.resolve();
  const abortTurns = new AbortController();

  const runTask = async (child: BenchChild): Promise<void> => {
    const startedAt = since();
    const worktree = path.join(spec.repoPath, '.plato', 'worktrees', child.taskId);
    const base = child.dependencyTaskIds.length === 0 ? spec.baseSha : commits.get(child.dependencyTaskIds[0]!)!;
    // Concurrent `git worktree add`s in one repository can read each other's half-made
    // .git/worktrees/<name> ("failed to read …/commondir"): a careful script takes turns.
    const added = worktreeLock.then(() => git(spec.repoPath, ['worktree', 'add', '-q', '-b', `bench/${child.taskId}`, worktree, base]));
    worktreeLock = added.catch(() => undefined);
    await added;
    const worktreeDone = since();
    const thread = codex.startThread({
      workingDirectory: worktree,
      skipGitRepoCheck: true,
      approvalPolicy: 'never',
      sandboxMode: 'workspace-write',
      networkAccessEnabled: false,
    });
    await thread.run(`Overall goal:\n${spec.goal}\n\nYour part (task ${child.taskId}):\n${child.prompt}`, { signal: abortTurns.signal });
    const codexDone = since();
    await git(worktree, ['add', '-A']);
    await git(worktree, ['commit', '-q', '--no-verify', '-m', `baseline: ${child.taskId}`]);
    commits.set(child.taskId, await git(worktree, ['rev-parse', 'HEAD']));
    const finishedAt = since();
    tasks.push({
      taskId: child.taskId,
      startedAt,
      finishedAt,
      worktreeMs: worktreeDone - startedAt,
      codexMs: codexDone - worktreeDone,
      commitMs: finishedAt - codexDone,
      commitSha: commits.get(child.taskId)!,
    });
  };

  // Ready tasks start in input order (the bench's children all have priority 0), the rule a
  // graph's parent follows: a dependent that became ready goes before later-listed tasks.
  const inputOrder = new Map(spec.children.map((child, index) => [child, index]));
  const ready = spec.children.filter((child) => child.dependencyTaskIds.length === 0);
  const waiting = spec.children.filter((child) => child.dependencyTaskIds.length > 0);
  if (waiting.some((child) => child.dependencyTaskIds.length > 1)) throw new Error('the baseline handles one prerequisite per task');
  // A failed task ends the run, but not before the other turns are aborted and their codex
  // processes gone: exiting under them would leave codex running, orphaned, in the worktrees.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failure !== undefined) return;
      if (commits.size === spec.children.length) return resolve();
      while (inFlight.size < spec.slots && ready.length > 0) {
        const child = ready.shift()!;
        const run: Promise<void> = runTask(child).then(
          () => {
            inFlight.delete(run);
            const nowReady = waiting.filter((dependent) => dependent.dependencyTaskIds.every((id) => commits.has(id)));
            for (const dependent of nowReady) waiting.splice(waiting.indexOf(dependent), 1);
            ready.push(...nowReady);
            ready.sort((a, b) => inputOrder.get(a)! - inputOrder.get(b)!);
            pump();
          },
          (error: unknown) => {
            inFlight.delete(run);
            if (failure !== undefined) return;
            failure = error;
            // Said first: aborting makes the SDK's codex child processes emit errors of their own.
            console.error(`baseline task ${child.taskId} failed:`, error);
            abortTurns.abort();
            void Promise.allSettled([...inFlight]).then(() => reject(error instanceof Error ? error : new Error(String(error))));
          },
        );
        inFlight.add(run);
      }
    };
    pump();
  });
  return { wallMs: since(), cpu: cpuDelta(cpu0, treeCpuSeconds(process.pid)), machineCpu: machineBusySeconds() - machine0, tasks };
}

if (require.main === module) {
  readFile(process.argv[2]!, 'utf8')
    .then((text) => runBaseline(JSON.parse(text) as BaselineSpec))
    .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
