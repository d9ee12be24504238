/**
 * The benchmark's baseline: the same work as a task graph, done by a plain script with no
 * Temporal. For each task: `git worktree add -b <branch> <path> <base>`, one turn of the real
 * codex binary through `@openai/codex-sdk` (same config overrides and thread options as the
 * runner's turn), then `git add -A && git commit`. At most `slots` tasks at once, ready ones in
 * input order (a task whose prerequisite finished goes before every later-listed ready task, as
 * the reference system schedules them); a dependent starts from its prerequisite's commit.
 *
 * With `floor` in its spec it runs the same work as the floor instead (./floor-workflow.ts,
 * run by ./floor-run.ts on a worker in this process).
 *
 * Run as its own process (`node --import tsx scripts/bench/baseline.ts <spec.json>`) so that its
 * process tree can be measured like the worker's; it prints a {@link BaselineResult} as JSON.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cpuDelta, machineBusySeconds, processCpuSeconds, treeCpuSeconds, type CpuSeconds } from './cpu-time';
import type { CodexConfigObject } from '../../src/scripted-model/scripted-model-server';
import type { BenchChild } from './shapes';
import { prepareFloor } from './floor-run';
import { GraphScheduler } from '../../src/workflows/graph-scheduler';

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
  /** The dev server (the floor uses it), whose CPU the run measures over its own window. */
  devServerPid?: number;
  /** Run as the floor: on this Temporal server, scheduled by ./floor-workflow.ts, bundled at `bundlePath`. */
  floor?: { address: string; namespace: string; bundlePath: string };
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
  /** This script and its codex and git children, from the first task's start to the last commit (the floor: to its parent's end). */
  cpu: CpuSeconds;
  /** The dev server's over the same time (0 without `devServerPid`). */
  devServerCpu: number;
  /** CPU every process on the machine used in that time. */
  machineCpu: number;
  tasks: BaselineTask[];
}

async function git(cwd: string, args: string[]): Promise<string> {
  return (await execFileAsync('git', args, { cwd })).stdout.trim();
}

/** The work of one task from `base`: worktree, one codex turn, commit. Returns the commit. */
export type TaskWork = (child: BenchChild, base: string) => Promise<string>;

export async function runBaseline(spec: BaselineSpec): Promise<BaselineResult> {
  const { Codex } = await import('@openai/codex-sdk');
  const codex = new Codex({ config: spec.codexConfig, env: process.env as Record<string, string> });
  await appendFile(path.join(spec.repoPath, '.git', 'info', 'exclude'), '/.plato/\n');
  await mkdir(path.join(spec.repoPath, '.plato', 'worktrees'), { recursive: true });

  let t0 = performance.now();
  const since = () => performance.now() - t0;
  const tasks: BaselineTask[] = [];
  let worktreeLock: Promise<unknown> = Promise.resolve();
  const abortTurns = new AbortController();

  const work: TaskWork = async (child, base) => {
    const startedAt = since();
    const worktree = path.join(spec.repoPath, '.plato', 'worktrees', child.taskId);
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
    const commitSha = await git(worktree, ['rev-parse', 'HEAD']);
    const finishedAt = since();
    tasks.push({
      taskId: child.taskId,
      startedAt,
      finishedAt,
      worktreeMs: worktreeDone - startedAt,
      codexMs: codexDone - worktreeDone,
      commitMs: finishedAt - codexDone,
      commitSha,
    });
    return commitSha;
  };

  const floor = spec.floor ? await prepareFloor(spec, work, abortTurns) : undefined;
  try {
    const cpu0 = treeCpuSeconds(process.pid);
    const serverCpu = () => (spec.devServerPid === undefined ? { self: 0, children: 0 } : processCpuSeconds(spec.devServerPid));
    const server0 = serverCpu();
    const machine0 = machineBusySeconds();
    t0 = performance.now();
    await (floor ? floor.run() : runInScript(spec, work, abortTurns));
    const server = cpuDelta(server0, serverCpu());
    return {
      wallMs: since(),
      cpu: cpuDelta(cpu0, treeCpuSeconds(process.pid)),
      devServerCpu: server.self + server.children,
      machineCpu: machineBusySeconds() - machine0,
      tasks,
    };
  } finally {
    await floor?.close();
  }
}

/** The plain script's scheduler: the graph's own rules (GraphScheduler), with the slots as its limit. */
async function runInScript(spec: BaselineSpec, work: TaskWork, abortTurns: AbortController): Promise<void> {
  const scheduler = new GraphScheduler(spec.children, { maxConcurrentTasks: spec.slots, sessionWindow: false });
  const children = new Map(spec.children.map((child) => [child.taskId, child]));
  // A failed task ends the run, but not before the other turns are aborted and their codex
  // processes gone: exiting under them would leave codex running, orphaned, in the worktrees.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failure !== undefined) return;
      if (scheduler.finished) return resolve();
      for (const { taskId, prerequisites } of scheduler.release()) {
        const run: Promise<void> = work(children.get(taskId)!, prerequisites[0]?.commitSha ?? spec.baseSha).then(
          (commitSha) => {
            inFlight.delete(run);
            scheduler.childCompleted(taskId, commitSha);
            pump();
          },
          (error: unknown) => {
            inFlight.delete(run);
            if (failure !== undefined) return;
            failure = error;
            // Said first: aborting makes the SDK's codex child processes emit errors of their own.
            console.error(`baseline task ${taskId} failed:`, error);
            abortTurns.abort();
            void Promise.allSettled([...inFlight]).then(() => reject(error instanceof Error ? error : new Error(String(error))));
          },
        );
        inFlight.add(run);
      }
    };
    pump();
  });
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
