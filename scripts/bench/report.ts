/** The benchmark's figures from the raw measurements, and the table it prints. */
import type { BaselineFigures } from './baseline-run';
import type { RunnerFigures } from './runner-run';
import { cpus } from 'node:os';
import type { Shape } from './shapes';

export const TARGETS = { referenceRatio: 1.1, n200Ratio: 1.25, dependencyP50Ms: 200 } as const;

/** Temporal's per-workflow history limits (hard: the workflow is terminated beyond them). */
export const HISTORY_LIMITS = { events: 51_200, bytes: 50 * 1024 * 1024 } as const;

export interface ShapeResult {
  shape: Shape;
  runner: RunnerFigures;
  baseline?: BaselineFigures;
  /** The floor (scripts/bench/floor-workflow.ts). */
  floor?: BaselineFigures;
}

/** Nearest-rank percentile (`p` in 0..100); undefined for no samples. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: readonly number[]) => percentile(values, 50);

export interface DerivedFigures {
  wallS: number;
  baselineWallS?: number;
  ratio?: number;
  floorWallS?: number;
  /** Floor wall / baseline wall: what Temporal itself costs. */
  floorRatio?: number;
  tasksPerMin: number;
  overheadPerTaskMs?: number;
  dependencyP50Ms?: number;
  dependencyP95Ms?: number;
  dependencySamples: number;
  eventsPerTask: number;
  bytesPerTask: number;
  /** CPU seconds per task, all processes (worker or baseline script and children, dev server, bench process). */
  cpuPerTaskS: number;
  baselineCpuPerTaskS?: number;
  floorCpuPerTaskS?: number;
  /** Share of the machine's CPU that other processes took during the runner's (and the baseline's) run. */
  otherLoad: number;
  baselineOtherLoad?: number;
  floorOtherLoad?: number;
}

export const totalCpu = (cpu: RunnerFigures['cpu']) => cpu.work.self + cpu.work.children + cpu.devServer + cpu.benchProcess;
/** CPU seconds that processes other than the bench's used during a run (other work on the machine). */
export const otherCpu = (cpu: RunnerFigures['cpu']) => Math.max(0, cpu.machine - totalCpu(cpu));

export function derive({ shape, runner, baseline, floor }: ShapeResult): DerivedFigures {
  const wallS = runner.wallMs / 1000;
  return {
    wallS,
    ...(baseline
      ? {
          baselineWallS: baseline.wallMs / 1000,
          ratio: runner.wallMs / baseline.wallMs,
          overheadPerTaskMs: (runner.wallMs - baseline.wallMs) / shape.tasks,
          baselineCpuPerTaskS: totalCpu(baseline.cpu) / shape.tasks,
          baselineOtherLoad: otherCpu(baseline.cpu) / ((baseline.wallMs / 1000) * cpus().length),
        }
      : {}),
    ...(floor
      ? {
          floorWallS: floor.wallMs / 1000,
          floorCpuPerTaskS: totalCpu(floor.cpu) / shape.tasks,
          floorOtherLoad: otherCpu(floor.cpu) / ((floor.wallMs / 1000) * cpus().length),
          ...(baseline ? { floorRatio: floor.wallMs / baseline.wallMs } : {}),
        }
      : {}),
    tasksPerMin: shape.tasks / (wallS / 60),
    dependencyP50Ms: median(runner.dependencyLatencyMs),
    dependencyP95Ms: percentile(runner.dependencyLatencyMs, 95),
    dependencySamples: runner.dependencyLatencyMs.length,
    eventsPerTask: runner.history.events / shape.tasks,
    bytesPerTask: runner.history.bytes / shape.tasks,
    cpuPerTaskS: totalCpu(runner.cpu) / shape.tasks,
    otherLoad: otherCpu(runner.cpu) / (wallS * cpus().length),
  };
}

/** Medians per task of where the time went: the runner's from histories, the script's (baseline, floor) as it timed them. */
export function phaseMedians({ runner, baseline, floor }: ShapeResult): {
  runner: Record<string, number | undefined>;
  baseline?: Record<string, number | undefined>;
  floor?: Record<string, number | undefined>;
} {
  const pick = (get: (t: RunnerFigures['timelines'][number]) => number | undefined) =>
    median(runner.timelines.map(get).filter((value): value is number => value !== undefined));
  const script = ({ tasks }: BaselineFigures) => ({
    worktreeMs: median(tasks.map((t) => t.worktreeMs)),
    codexMs: median(tasks.map((t) => t.codexMs)),
    commitMs: median(tasks.map((t) => t.commitMs)),
  });
  return {
    runner: {
      // Runtime check and worktree (local activities) with the workflow tasks around them.
      releaseToTurnMs: pick((t) => t.beforeTurnMs),
      codexSlotWaitMs: pick((t) => t.queuedMs.runCodexTurn),
      codexTurnMs: pick((t) => t.ranMs.runCodexTurn),
      // The commit (a local activity) and the last workflow tasks.
      turnToDoneMs: pick((t) => t.afterTurnMs),
      releasedToDoneMs: pick((t) => t.totalMs),
      graphTailMs: runner.tailMs,
    },
    ...(baseline ? { baseline: script(baseline) } : {}),
    ...(floor ? { floor: script(floor) } : {}),
  };
}

/** p50/p95 of workflow task latencies and the timeouts, for the parent and for the children. */
export function workflowTaskSummary({ runner }: ShapeResult): Record<'parent' | 'children', Record<string, number | undefined>> {
  const summary = (times: RunnerFigures['workflowTasks']['parent']) => ({
    scheduleToStartP50Ms: median(times.scheduleToStartMs),
    scheduleToStartP95Ms: percentile(times.scheduleToStartMs, 95),
    startToCompleteP50Ms: median(times.startToCompleteMs),
    startToCompleteP95Ms: percentile(times.startToCompleteMs, 95),
    count: times.startToCompleteMs.length,
    timedOut: times.timedOut,
    failed: times.failed,
  });
  return { parent: summary(runner.workflowTasks.parent), children: summary(runner.workflowTasks.children) };
}

const fixed = (digits: number) => (value: number | undefined) => (value === undefined ? '-' : value.toFixed(digits));
const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : (bytes / 1024 / 1024).toFixed(0));
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

interface Column {
  header: string;
  cell: (result: ShapeResult, figures: DerivedFigures) => string;
  left?: boolean;
}

/** `1` on one host; the children each host ran, `67/66/67`, on several. */
function placementCell(placement: Record<string, number> | undefined): string {
  const counts = Object.keys(placement ?? {})
    .sort()
    .map((host) => placement![host]!);
  return counts.length <= 1 ? '1' : counts.join('/');
}

const COLUMNS: Column[] = [
  { header: 'shape', cell: (r) => r.shape.name, left: true },
  { header: 'tasks', cell: (r) => String(r.shape.tasks) },
  { header: 'slots', cell: (r) => String(r.shape.slots) },
  { header: 'hosts', cell: (r) => (r.shape.historyOnly ? '-' : placementCell(r.runner.placement)) },
  { header: 'limit', cell: (r) => (r.shape.graphLimit ? String(r.shape.graphLimit) : '-') },
  { header: 'model', cell: (r) => `${r.shape.modelDelayMs / 1000}s` },
  { header: 'wall s', cell: (r, f) => (r.shape.historyOnly ? '-' : fixed(1)(f.wallS)) },
  { header: 'base s', cell: (_, f) => fixed(1)(f.baselineWallS) },
  { header: 'ratio', cell: (_, f) => fixed(2)(f.ratio) },
  { header: 'floor s', cell: (_, f) => fixed(1)(f.floorWallS) },
  { header: 'floor ratio', cell: (_, f) => fixed(2)(f.floorRatio) },
  { header: 'tasks/min', cell: (r, f) => (r.shape.historyOnly ? '-' : fixed(0)(f.tasksPerMin)) },
  { header: 'ovh ms/task', cell: (_, f) => fixed(0)(f.overheadPerTaskMs) },
  { header: 'dep p50 ms', cell: (r, f) => (r.shape.historyOnly ? '-' : fixed(0)(f.dependencyP50Ms)) },
  { header: 'dep p95 ms', cell: (r, f) => (r.shape.historyOnly ? '-' : `${fixed(0)(f.dependencyP95Ms)} (${f.dependencySamples})`) },
  { header: 'CPU s/task', cell: (r, f) => (r.shape.historyOnly ? '-' : [f.cpuPerTaskS, f.baselineCpuPerTaskS, f.floorCpuPerTaskS].map(fixed(2)).join('/')) },
  { header: 'ev/task', cell: (_, f) => fixed(1)(f.eventsPerTask) },
  { header: 'KB/task', cell: (_, f) => kb(f.bytesPerTask) },
  { header: 'parent ev/KB', cell: (r) => `${r.runner.history.parent.events}/${kb(r.runner.history.parent.bytes)}` },
  { header: 'max child ev/KB', cell: (r) => `${r.runner.history.largestChild.events}/${kb(r.runner.history.largestChild.bytes)}` },
  { header: 'worker MB', cell: (r) => (r.shape.historyOnly ? '-' : mb(r.runner.worker.rootPeakBytes)) },
  { header: 'tree MB', cell: (r) => (r.shape.historyOnly ? '-' : mb(r.runner.worker.treePeakBytes)) },
  { header: 'base tree MB', cell: (r) => mb(r.baseline?.tree.treePeakBytes) },
  {
    header: 'other load %',
    cell: (_, f) => [f.otherLoad, f.baselineOtherLoad, f.floorOtherLoad].map((load) => (load === undefined ? '-' : (100 * load).toFixed(0))).join('/'),
  },
];

/** The results of each shape, its rounds together (`--rounds`), in the order they ran. */
function byShape(results: readonly ShapeResult[]): Map<string, ShapeResult[]> {
  const groups = new Map<string, ShapeResult[]>();
  for (const result of results) {
    const name = result.shape.round?.of ?? result.shape.name;
    groups.set(name, [...(groups.get(name) ?? []), result]);
  }
  return groups;
}

const rounds = (results: readonly ShapeResult[]) => Math.max(1, ...results.map((result) => result.shape.round?.index ?? 1));

/** The median of a figure over a shape's rounds, printed with its range when there are several. */
export function spread(values: readonly (number | undefined)[]): { median: number; format(digits: number): string } | undefined {
  const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  // The mean of the middle two for an even count: the nearest rank would take the lower one.
  const half = Math.floor(known.length / 2);
  const middle = known.length % 2 === 1 ? known[half]! : (known[half - 1]! + known[half]!) / 2;
  return {
    median: middle,
    format: (digits) =>
      known.length === 1 ? middle.toFixed(digits) : `${middle.toFixed(digits)} [${known[0]!.toFixed(digits)}-${known.at(-1)!.toFixed(digits)}]`,
  };
}

/** The fixed-width table of every shape, then each target and whether it was met. */
export function formatTable(results: readonly ShapeResult[]): string {
  const rows = results.map((result) => {
    const figures = derive(result);
    return COLUMNS.map((column) => column.cell(result, figures));
  });
  const widths = COLUMNS.map((column, i) => Math.max(column.header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (COLUMNS[i]!.left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(COLUMNS.map((column) => column.header)), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];

  out.push(
    '',
    'ratio = runner wall / baseline wall; floor = the baseline script scheduling through a parent workflow and one child',
    'workflow with one activity per task (scripts/bench/floor-workflow.ts); floor ratio = floor wall / baseline wall;',
    'ovh = (runner - baseline) / tasks; dep = prerequisite task.completed -> dependent task.graph.worker.started (samples);',
    'hosts = the children each worker host ran (its own worker process and CODEX_HOME; slots split evenly);',
    'CPU = all processes of a run incl. the dev server (runner/baseline/floor); KB = protobuf-encoded history;',
    'MB = peak VmRSS (tree: summed over the worker or baseline and their children); other load = share of the machine',
    'other processes took during the run (runner/baseline/floor): figures from a busy machine are not comparable.',
  );
  out.push('', rounds(results) > 1 ? 'Targets (medians over the rounds, range in brackets):' : 'Targets:');
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  for (const [name, group] of byShape(results)) {
    const { tasks, historyOnly } = group[0]!.shape;
    const figures = group.map(derive);
    const ratio = spread(figures.map((f) => f.ratio));
    const floor = spread(figures.map((f) => f.floorRatio));
    const dependencyP50 = spread(figures.map((f) => f.dependencyP50Ms));
    const floorNote = floor ? ` (the floor: ${floor.format(2)})` : '';
    if (name === 'ref' && ratio) {
      out.push(`  ratio ${name} <= ${TARGETS.referenceRatio.toFixed(2)}: ${ratio.format(2)} ${verdict(ratio.median <= TARGETS.referenceRatio)}${floorNote}`);
    }
    if (tasks === 200 && ratio) {
      out.push(`  ratio ${name} <= ${TARGETS.n200Ratio.toFixed(2)}: ${ratio.format(2)} ${verdict(ratio.median <= TARGETS.n200Ratio)}${floorNote}`);
    }
    if (!historyOnly && dependencyP50) {
      out.push(`  dep p50 ${name} <= ${TARGETS.dependencyP50Ms} ms: ${dependencyP50.format(0)} ms ${verdict(dependencyP50.median <= TARGETS.dependencyP50Ms)}`);
    }
    if (historyOnly) {
      for (const result of group) {
        const { parent, largestChild } = result.runner.history;
        const share = (value: number, limit: number) => `${((100 * value) / limit).toFixed(1)}%`;
        out.push(
          `  history ${result.shape.name}: parent ${parent.events} events (${share(parent.events, HISTORY_LIMITS.events)} of 51,200), ${kb(parent.bytes)} KB (${share(parent.bytes, HISTORY_LIMITS.bytes)} of 50 MB); ` +
            `largest child ${largestChild.events} events, ${kb(largestChild.bytes)} KB`,
        );
      }
    }
  }
  return out.join('\n');
}
