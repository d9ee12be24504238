/**
 * One shape on codex-runner: a worker process with the shape's slots (and a fresh CODEX_HOME),
 * a graph started with `createTaskGraph` and waited for, the worker's process tree sampled for
 * memory meanwhile, then every workflow's history read for sizes, events and timings.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createCodexTestEnv, type CodexTestEnv } from '../../test/support/codex-env';
import { CLI_ENTRY, WorkerProcess, type RunnerHarness } from '../../test/support/runner-harness';
import { cpuDelta, machineBusySeconds, processCpuSeconds, treeCpuSeconds, type CpuSeconds } from './cpu-time';
import { fetchHistories, type ChildTimeline, type FirstReleases, type HistorySize, type WorkflowTaskTimes } from './histories';
import { sampleProcessTreeRss, type RssPeaks } from './process-tree-rss';
import { graphChildren, scriptChildren, type Shape } from './shapes';

export const GRAPH_GOAL = 'Benchmark graph: every child writes one file named after its task id.';

export interface RunnerFigures {
  parentTaskId: string;
  wallMs: number;
  /** Prerequisite's `task.completed` → dependent's `task.graph.worker.started`, one per dependency. */
  dependencyLatencyMs: number[];
  /** Children placed on each host (`task.placed`), by host name. */
  placement: Record<string, number>;
  history: {
    workflows: number;
    events: number;
    bytes: number;
    parent: HistorySize;
    largestChild: HistorySize;
  };
  /** The worker's peaks; with several hosts, the largest worker's own and the sum of their trees. */
  worker: RssPeaks;
  /** CPU seconds used during the run: the workers and their codex/git children, the dev server, the bench process (client and model server). */
  cpu: BenchCpu;
  /** One per child that ran. */
  timelines: ChildTimeline[];
  /** Workflow task latencies of the parent, and of all children together. */
  workflowTasks: { parent: WorkflowTaskTimes; children: WorkflowTaskTimes };
  /** Last child finished → parent finished (merging every branch into the graph branch). */
  tailMs: number;
  /** The parent's first batch of release signals and when the last was acknowledged. */
  firstReleases?: FirstReleases;
}

export interface BenchCpu {
  /** The worker (`self`) or the baseline script, and their reaped children (codex, git). */
  work: CpuSeconds;
  devServer: number;
  benchProcess: number;
  /** Every process on the machine, ours included. */
  machine: number;
}

/** Measures the CPU the dev server and this bench process use between this call and the returned function's call. */
export function measureSharedCpu(harness: RunnerHarness): () => Pick<BenchCpu, 'devServer' | 'benchProcess'> {
  const server0 = processCpuSeconds(harness.server.pid!);
  const benchCpu = measureBenchProcessCpu();
  return () => {
    const server = cpuDelta(server0, processCpuSeconds(harness.server.pid!));
    return { devServer: server.self + server.children, benchProcess: benchCpu() };
  };
}

/** Measures the CPU this bench process (client and model server) uses between this call and the returned function's call. */
export function measureBenchProcessCpu(): () => number {
  const bench0 = processCpuSeconds(process.pid);
  return () => cpuDelta(bench0, processCpuSeconds(process.pid)).self;
}

function at(events: { type: string; at: string }[], type: string): number {
  const event = events.find((candidate) => candidate.type === type);
  if (!event) throw new Error(`no ${type} event`);
  return Date.parse(event.at);
}

/** Something the bench started and must stop, even when a run fails half-way. */
export type Stoppable = () => Promise<void>;

/**
 * Removes a throw-away codex environment. codex's sandbox helper can still be writing its lock
 * files there for a moment after a turn ended (seen as ENOTEMPTY), so try a few times, and never
 * fail a run over it.
 */
export async function removeCodexEnv(env: CodexTestEnv): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await env.cleanup();
    } catch (error) {
      if (attempt === 5) return console.warn(`Could not remove ${env.root}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Node options for the bench's workers from BENCH_WORKER_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` for a CPU profile of each worker's threads.
 */
function workerNodeArgs(): string[] {
  return spaceSeparated(process.env.BENCH_WORKER_NODE_ARGS);
}

/** More `codex-runner worker` options for the bench's workers from BENCH_WORKER_ARGS, e.g. `--session-nice 0`. */
function workerArgs(): string[] {
  return spaceSeparated(process.env.BENCH_WORKER_ARGS);
}

function spaceSeparated(value: string | undefined): string[] {
  return value?.split(' ').filter((arg) => arg !== '') ?? [];
}

/**
 * Starts a worker with `slots` session slots and a CODEX_HOME of its own (codex keeps a state
 * database and a trust entry per worktree there; a fresh one keeps runs from slowing each other).
 * With `ownHome`, it has a PLATO_HOME of its own too (a host of a pool keeps its mirrors there).
 * `track` gets a function that stops the worker and removes that CODEX_HOME.
 */
export async function startBenchWorker(
  harness: RunnerHarness,
  slots: number,
  track: (stop: Stoppable) => void,
  hostArgs: string[] = [],
  ownHome = false,
): Promise<{ worker: WorkerProcess; stop: Stoppable }> {
  const codexEnv = await createCodexTestEnv();
  const child = spawn(
    process.execPath,
    [...workerNodeArgs(), CLI_ENTRY, 'worker', '--config-path', harness.configPath, '--max-concurrent-tasks', String(slots), ...hostArgs, ...workerArgs()],
    {
      env: harness.env({
        CODEX_HOME: codexEnv.codexHome,
        HOME: codexEnv.home,
        TMPDIR: codexEnv.tmpDir,
        ...(ownHome ? { PLATO_HOME: path.join(codexEnv.home, '.plato') } : {}),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const worker = new WorkerProcess(child);
  const stop = async () => {
    await worker.stop('SIGTERM');
    await removeCodexEnv(codexEnv);
  };
  track(stop);
  await worker.ready();
  return { worker, stop };
}

/** The largest root peak of `peaks` (one host's worker), and the sum of their trees (the pool's). */
function poolPeaks(peaks: readonly RssPeaks[]): RssPeaks {
  return {
    rootPeakBytes: Math.max(...peaks.map((peak) => peak.rootPeakBytes)),
    treePeakBytes: peaks.reduce((sum, peak) => sum + peak.treePeakBytes, 0),
    peakProcesses: peaks.reduce((sum, peak) => sum + peak.peakProcesses, 0),
    samples: Math.min(...peaks.map((peak) => peak.samples)),
  };
}

function poolCpuSeconds(pids: readonly number[]): CpuSeconds {
  return pids.map(treeCpuSeconds).reduce((sum, cpu) => ({ self: sum.self + cpu.self, children: sum.children + cpu.children }));
}

export async function runRunnerShape(harness: RunnerHarness, shape: Shape, track: (stop: Stoppable) => void): Promise<RunnerFigures> {
  const hosts = shape.hosts ?? 1;
  const started = await Promise.all(
    Array.from({ length: hosts }, (_, i) =>
      startBenchWorker(harness, shape.slots / hosts, track, hosts > 1 ? ['--host-name', `bench-host-${i + 1}`] : [], shape.remote),
    ),
  );
  const stop = async () => {
    await Promise.all(started.map((host) => host.stop()));
  };
  const repo = shape.remote ? { repoUrl: (await harness.makeRemote()).url } : { repoPath: await harness.makeRepo() };
  const parentTaskId = `${shape.name}-graph`;
  const children = graphChildren(shape, `${shape.name}-r`);
  scriptChildren(harness.model, shape, children);

  const workerPids = started.map(({ worker }) => worker.child.pid!);
  const samplers = workerPids.map((pid) => sampleProcessTreeRss(pid));
  const sharedCpu = measureSharedCpu(harness);
  const worker0 = poolCpuSeconds(workerPids);
  const machine0 = machineBusySeconds();
  const t0 = performance.now();
  let wallMs: number;
  let workerPeaks: RssPeaks;
  let cpu: BenchCpu;
  try {
    await harness.client.createTaskGraph({
      parent: { taskId: parentTaskId, ...repo, prompt: GRAPH_GOAL },
      children,
      ...(shape.graphLimit ? { maxConcurrentTasks: shape.graphLimit } : {}),
    });
    const parent = await harness.client.waitForTask(parentTaskId);
    wallMs = performance.now() - t0;
    cpu = { work: cpuDelta(worker0, poolCpuSeconds(workerPids)), ...sharedCpu(), machine: machineBusySeconds() - machine0 };
    if (parent.state !== 'completed') throw new Error(`graph ${parentTaskId} ended ${parent.state}: ${parent.failure?.message ?? ''}`);
  } finally {
    workerPeaks = poolPeaks(samplers.map((sampler) => sampler.stop()));
    await stop();
  }
  const unmatched = harness.model.unmatchedRequests.length;
  harness.model.reset();
  if (unmatched > 0) throw new Error(`${unmatched} model requests matched no script`);

  const histories = await fetchHistories(harness.client.temporal, [parentTaskId, ...children.map((child) => child.taskId)]);

  const childSizes = children.map((child) => histories.get(child.taskId)!.size);
  const all = [...histories.values()].map((fetched) => fetched.size);
  const dependencyLatencyMs = children.flatMap((child) =>
    child.dependencyTaskIds.map((id) => at(histories.get(child.taskId)!.events, 'task.graph.worker.started') - at(histories.get(id)!.events, 'task.completed')),
  );
  const placement: Record<string, number> = {};
  for (const child of children) {
    const host = histories.get(child.taskId)!.events.find((event) => event.type === 'task.placed')?.host ?? '?';
    placement[host] = (placement[host] ?? 0) + 1;
  }
  const lastChildDone = Math.max(...children.map((child) => at(histories.get(child.taskId)!.events, 'task.completed')));
  return {
    parentTaskId,
    wallMs,
    dependencyLatencyMs,
    placement,
    history: {
      workflows: all.length,
      events: all.reduce((sum, size) => sum + size.events, 0),
      bytes: all.reduce((sum, size) => sum + size.bytes, 0),
      parent: histories.get(parentTaskId)!.size,
      largestChild: childSizes.reduce((max, size) => (size.bytes > max.bytes ? size : max)),
    },
    worker: workerPeaks,
    cpu,
    timelines: children.flatMap((child) => histories.get(child.taskId)?.timeline ?? []),
    workflowTasks: {
      parent: histories.get(parentTaskId)!.workflowTasks,
      children: children
        .map((child) => histories.get(child.taskId)!.workflowTasks)
        .reduce((all, one) => ({
          scheduleToStartMs: [...all.scheduleToStartMs, ...one.scheduleToStartMs],
          startToCompleteMs: [...all.startToCompleteMs, ...one.startToCompleteMs],
          timedOut: all.timedOut + one.timedOut,
          failed: all.failed + one.failed,
        })),
    },
    tailMs: at(histories.get(parentTaskId)!.events, 'task.completed') - lastChildDone,
    ...(histories.get(parentTaskId)!.firstReleases ? { firstReleases: histories.get(parentTaskId)!.firstReleases! } : {}),
  };
}
