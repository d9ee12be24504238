/**
 * `npm run bench`: how much codex-runner costs over a plain script doing the same work.
 *
 * Everything is real and local: a Temporal dev server on free ports, the scripted model server,
 * worker processes from dist/, the real codex binary. Each shape (scripts/bench/shapes.ts) runs
 * as a task graph on a worker with the shape's slots, then — for the baseline — as a plain
 * script (scripts/bench/baseline.ts), and as the floor: that script scheduling through a minimal
 * parent and child workflows (scripts/bench/floor-workflow.ts), what Temporal itself costs.
 * Prints one table; the raw figures go to bench-results.json.
 * First it replays the recorded histories (scripts/bench/replay-cost.ts): the workflow code's
 * CPU per workflow, a figure the machine's load hardly moves.
 *
 *   npm run bench                     every shape but N = 500 (about 14 minutes on 2 cores)
 *   npm run bench -- --quick          the reference shape only (about a minute)
 *   npm run bench -- --all            every shape, N = 500 too (about 4 minutes more)
 *   npm run bench -- --shapes ref,n500-s8
 *   npm run bench -- --shapes ref --rounds 5   five interleaved rounds, then the medians
 *   npm run bench -- --no-floor       without the floor (about a quarter quicker)
 */
import { cpus, totalmem } from 'node:os';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { RunnerHarness } from '../test/support/runner-harness';
import { runBaselineShape } from './bench/baseline-run';
import { derive, formatTable, otherCpu, phaseMedians, workflowTaskSummary, type ShapeResult } from './bench/report';
import { measureReplayCost, type ReplayCost } from './bench/replay-cost';
import { runRunnerShape, type Stoppable } from './bench/runner-run';
import { CHAIN_LENGTH, inRounds, QUICK_SHAPES, SHAPES, shapesNamed, type Shape } from './bench/shapes';

const RESULTS_FILE = path.resolve(__dirname, '..', 'bench-results.json');
const WARM_UP: Shape = { name: 'warmup', tasks: 2, slots: 2, modelDelayMs: 0, baseline: true };

function selectedShapes(argv: string[]): Shape[] {
  const names = SHAPES.map((shape) => shape.name).join(',');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run bench [-- [--quick | --all | --shapes ${names}] [--rounds n] [--no-floor]]`);
    console.log('  default: every shape but n500-s8; --quick: ref only; --all: every shape (n500-s8 alone takes about 4 minutes on 2 cores)');
    console.log('  --rounds n: run each shape n times, runner, baseline and floor interleaved; a row per round, then the medians');
    console.log('  --no-floor: skip the floor (the baseline scheduled by a minimal parent and child workflows) beside each baseline');
    process.exit(0);
  }
  if (argv.includes('--quick')) return SHAPES.filter((shape) => QUICK_SHAPES.includes(shape.name));
  if (argv.includes('--all')) return [...SHAPES];
  if (!argv.includes('--shapes')) return SHAPES.filter((shape) => !shape.optIn);
  try {
    return shapesNamed(argv[argv.indexOf('--shapes') + 1]?.split(',') ?? []);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

function roundsOption(argv: string[]): number {
  if (!argv.includes('--rounds')) return 1;
  const value = argv[argv.indexOf('--rounds') + 1];
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    console.error(`--rounds must be a whole number from 1 to 20, got ${value ?? 'nothing'}`);
    process.exit(1);
  }
  return rounds;
}

/** Set on Ctrl-C: what fails after it (calls cut off by the closed connection) is expected. */
let interrupted = false;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));

function cpuLine(cpu: ShapeResult['runner']['cpu']): string {
  return `self=${cpu.work.self.toFixed(1)} children=${cpu.work.children.toFixed(1)} dev-server=${cpu.devServer.toFixed(1)} bench=${cpu.benchProcess.toFixed(1)} other-processes=${otherCpu(cpu).toFixed(1)}`;
}

/** Progress lines with the details behind the table: where each task's time and the CPU went. */
function reportRun(which: 'runner' | 'baseline' | 'floor', result: ShapeResult): void {
  const phases = phaseMedians(result);
  const line = (named: Record<string, number | undefined>) =>
    Object.entries(named)
      .map(([name, value]) => `${name.replace(/Ms$/, '')}=${ms(value)}`)
      .join(' ');
  if (which !== 'runner') {
    const { wallMs, cpu } = result[which]!;
    console.log(`  ${which} ${seconds(wallMs)}; medians per task, ms: ${line(phases[which] ?? {})}`);
    console.log(`  CPU s: ${cpuLine(cpu)}`);
    return;
  }
  console.log(`  runner ${seconds(result.runner.wallMs)}; medians per task, ms: ${line(phases.runner)}`);
  console.log(`  CPU s: ${cpuLine(result.runner.cpu)}`);
  const first = result.runner.firstReleases;
  const firstLinks = result.runner.dependencyLatencyMs.filter((_, i) => i % (CHAIN_LENGTH - 1) === 0);
  if (first) {
    console.log(
      `  parent: first ${first.signals} release signals all acknowledged after ${ms(first.lastAckMs)} ms; ` +
        `first chain links' dependents waited ${firstLinks.map(ms).join(', ')} ms`,
    );
  }
  for (const [who, wt] of Object.entries(workflowTaskSummary(result))) {
    console.log(
      `  workflow tasks, ${who}: ${wt.count} done, schedule->start p50/p95 ${ms(wt.scheduleToStartP50Ms)}/${ms(wt.scheduleToStartP95Ms)} ms, ` +
        `start->complete p50/p95 ${ms(wt.startToCompleteP50Ms)}/${ms(wt.startToCompleteP95Ms)} ms, timed out ${wt.timedOut}, failed ${wt.failed}`,
    );
  }
}

async function main(): Promise<void> {
  const shapes = selectedShapes(process.argv.slice(2));
  const withFloor = !process.argv.includes('--no-floor');
  const rounds = roundsOption(process.argv.slice(2));
  const began = performance.now();
  const live = new Set<Stoppable>();
  const track = (stop: Stoppable) => live.add(stop);
  const stopAll = async () => {
    await Promise.all([...live].map((stop) => stop().catch(() => undefined)));
    live.clear();
  };

  // Replay workers log every state change at INFO.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log('Replaying the recorded histories (workflow code CPU, no server)…');
  // One round in a quick run (about 3 s instead of 10); three give a steadier median.
  const replay = await measureReplayCost(process.argv.includes('--quick') ? 1 : 3);
  console.log(`  ${replayLine(replay)}`);

  console.log(`Starting the Temporal dev server and the scripted model server (${cpus().length} cores)…`);
  // The server as `temporal-dev.sh` runs it: the tests' harness also re-reads search attributes
  // from the database on every use (tests register some while running), which costs server CPU.
  const harness = await RunnerHarness.start({ dynamicConfig: { 'system.forceSearchAttributesCacheRefreshOnRead': false } });
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error('\nInterrupted: stopping workers and servers…');
    // Calls in flight (waiting for the graph) fail once the connection closes: expected now.
    process.on('uncaughtException', () => undefined);
    process.on('unhandledRejection', () => undefined);
    void stopAll()
      .then(() => harness.stop())
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: ShapeResult[] = [];
  try {
    // Cold caches (the codex binary, the worker's first workflow tasks) would otherwise be
    // charged to whichever shape runs first.
    console.log('Warming up (a 2-task graph and a 2-task baseline, not reported)…');
    await runRunnerShape(harness, WARM_UP, track);
    await runBaselineShape(harness, WARM_UP, track);

    // Each round runs the runner, the baseline and the floor in turn, so that the host's slow
    // moments fall on all three alike.
    for (const shape of inRounds(shapes, rounds)) {
      const label = `${shape.name} (${shape.tasks} tasks, ${shape.slots} slots, model ${shape.modelDelayMs / 1000} s)`;
      console.log(`\n${label}: runner…`);
      const runner = await runRunnerShape(harness, shape, track);
      reportRun('runner', { shape, runner });
      let baseline: ShapeResult['baseline'];
      let floor: ShapeResult['floor'];
      if (shape.baseline) {
        console.log(`${label}: baseline…`);
        baseline = await runBaselineShape(harness, shape, track);
        reportRun('baseline', { shape, runner, baseline });
        if (withFloor) {
          console.log(`${label}: floor…`);
          floor = await runBaselineShape(harness, shape, track, { floor: true });
          reportRun('floor', { shape, runner, baseline, floor });
        }
      }
      live.clear();
      results.push({ shape, runner, ...(baseline ? { baseline } : {}), ...(floor ? { floor } : {}) });
    }
  } finally {
    await stopAll();
    await harness.stop();
  }

  const totalMs = performance.now() - began;
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
        benchSeconds: Math.round(totalMs / 1000),
        replay,
        results: results.map((result) => ({
          ...result,
          figures: derive(result),
          phaseMedians: phaseMedians(result),
          workflowTasks: workflowTaskSummary(result),
        })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nRaw figures: ${path.relative(process.cwd(), RESULTS_FILE)}; bench took ${seconds(totalMs)}.\n`);
  console.log(formatTable(results));
  console.log(`\nWorkflow code: ${replayLine(replay)}`);
}

function replayLine(replay: ReplayCost): string {
  return `${replay.cpuMsPerWorkflow.toFixed(1)} ms of CPU per workflow replayed (${replay.histories} recorded histories, ${replay.rounds === 1 ? 'one round' : `median of ${replay.rounds} rounds`})`;
}

main().catch((error: unknown) => {
  if (!interrupted) console.error(error);
  process.exit(interrupted ? 130 : 1);
});
