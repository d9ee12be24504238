/**
 * `npm run soak`: kill -9 the worker at random moments while 20-child task graphs run, and count
 * what survives. Not part of `npm test` (about 10-15 minutes on 2 cores).
 *
 * Everything is real and local, as in the integration tests: a Temporal dev server, the scripted
 * model server, worker processes from dist/, the real codex binary, real git repositories. Graphs
 * (chains, a fan-out, a fan-in and independent children; every command sleeps a second) run two
 * at a time, a new one starting whenever one ends, until every kill is done. The worker is killed
 * with SIGKILL at a random moment every 10-25 s (the orphaned codex processes are left for the
 * retries to deal with) and a new worker is started at once.
 *
 * A graph is intact when it completed, every child completed, each child's commit is the tip of
 * its branch, the only commit on top of its base and merged into plato/graph-<id>, the file it
 * wrote (after checking its prerequisites' files were there) is in the graph branch, and no
 * codex process is left in any of its worktrees. A kill is survived when every graph running at
 * that moment ended intact.
 *
 *   npm run soak                        30 kills
 *   npm run soak -- --kills 5 --seed 7  a shorter run, another random sequence
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { simpleGit } from 'simple-git';
import { findCodexProcessesIn } from '../src/activities/orphaned-codex';
import type { TaskRecord } from '../src/contracts/task';
import { taskWorkflowId } from '../src/contracts/ids';
import { RunnerHarness, type WorkerProcess } from '../test/support/runner-harness';
import { exec, type RecordedRequest } from '../src/scripted-model/scripted-model-server';

interface Options {
  kills: number;
  seed: number;
  graphsInFlight: number;
  minIntervalMs: number;
  maxIntervalMs: number;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string, fallback: number) => {
    const index = argv.indexOf(flag);
    if (index < 0) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed < 0) {
      console.error(`${flag} takes a whole number`);
      process.exit(1);
    }
    return parsed;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run soak [-- --kills 30 --seed n --graphs-in-flight 2 --min-interval-ms 10000 --max-interval-ms 25000]');
    process.exit(0);
  }
  return {
    kills: value('--kills', 30),
    seed: value('--seed', Date.now() % 100_000),
    graphsInFlight: Math.max(1, value('--graphs-in-flight', 2)),
    minIntervalMs: value('--min-interval-ms', 10_000),
    maxIntervalMs: value('--max-interval-ms', 25_000),
  };
}

/** mulberry32: a small seeded generator, so a run can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

interface SoakChild {
  taskId: string;
  dependencyTaskIds: string[];
}

/**
 * 20 children: a chain of 5 (c0-c4), a fan-out of 7 from c0 (c5-c11), a second chain of 4
 * (c12-c15), a fan-in on the ends of all three (c16) and 3 independent children (c17-c19).
 */
function soakChildren(graphId: string): SoakChild[] {
  const id = (i: number) => `${graphId}-c${i}`;
  const deps = (i: number): number[] => {
    if (i >= 1 && i <= 4) return [i - 1];
    if (i >= 5 && i <= 11) return [0];
    if (i >= 13 && i <= 15) return [i - 1];
    if (i === 16) return [4, 11, 15];
    return [];
  };
  return Array.from({ length: 20 }, (_, i) => ({ taskId: id(i), dependencyTaskIds: deps(i).map(id) }));
}

/** The marker is bracketed so that no path (worktrees are named after task ids) contains it. */
const markerOf = (taskId: string) => `[soak:${taskId}]`;

/**
 * Scripts a child like a model that looks at the conversation: after a command's output it ends
 * the turn, otherwise (a new turn, or the recovery instruction after a crash) it runs the command,
 * which checks its prerequisites' files and writes its own. Running it twice changes nothing.
 */
function scriptChild(harness: RunnerHarness, child: SoakChild): void {
  const marker = markerOf(child.taskId);
  const afterCommand = (request: RecordedRequest) => request.userText.includes(marker) && request.input.at(-1)?.type === 'function_call_output';
  harness.model.script({ when: afterCommand, steps: [], exhaustedReply: `${child.taskId} done`, name: `${child.taskId} (end)` });
  const checks = child.dependencyTaskIds.map((dependency) => `test -f ${dependency}.txt && `).join('');
  const command = exec(`sleep 1 && ${checks}echo ${child.taskId} > ${child.taskId}.txt`);
  harness.model.script({ when: marker, steps: Array.from({ length: 50 }, () => command), name: child.taskId });
}

interface GraphRun {
  graphId: string;
  repo: string;
  children: SoakChild[];
  startedAt: number;
  endedAt?: number;
  record?: TaskRecord;
  problems: string[];
}

async function checkGraph(harness: RunnerHarness, run: GraphRun): Promise<void> {
  const problems = run.problems;
  if (run.record?.state !== 'completed') problems.push(`graph ended ${run.record?.state ?? 'unknown'}: ${run.record?.failure?.message ?? ''}`);
  const git = simpleGit(run.repo);
  const graphBranch = `plato/graph-${run.graphId}`;
  for (const child of run.children) {
    const task = await harness.client.getTask(child.taskId);
    if (task.state !== 'completed') {
      problems.push(`${child.taskId} ${task.state}${task.failure ? ` (${task.failure.code}: ${task.failure.message})` : ''}`);
      continue;
    }
    const tip = (await git.revparse([`plato/task-${child.taskId}`])).trim();
    if (task.commitSha !== tip) problems.push(`${child.taskId}: commit ${task.commitSha} is not the tip of its branch (${tip})`);
    const onTop = Number((await git.raw(['rev-list', '--count', `${task.baseSha}..${tip}`])).trim());
    if (onTop !== 1) problems.push(`${child.taskId}: ${onTop} commits on top of its base, expected 1`);
    const merged = await git.raw(['merge-base', '--is-ancestor', tip, graphBranch]).then(
      () => true,
      () => false,
    );
    if (!merged) problems.push(`${child.taskId}: commit not in ${graphBranch}`);
    const content = await git.show([`${graphBranch}:${child.taskId}.txt`]).catch(() => undefined);
    if (content !== `${child.taskId}\n`) problems.push(`${child.taskId}: ${child.taskId}.txt in ${graphBranch} is ${JSON.stringify(content)}`);
    const orphans = await findCodexProcessesIn(path.join(run.repo, '.plato', 'worktrees', child.taskId));
    if (orphans.length > 0) problems.push(`${child.taskId}: codex processes left in its worktree: ${orphans.join(', ')}`);
  }
}

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/**
 * What the killed worker was running: the graphs' children's activities started by that worker
 * (its identity is `<pid>@<host>`; attempts of earlier killed workers may still be pending).
 */
async function killedActivities(harness: RunnerHarness, runs: GraphRun[], workerPid: number): Promise<string[]> {
  const names: string[] = [];
  for (const run of runs) {
    for (const child of run.children) {
      const description = await harness.client.temporal.workflow
        .getHandle(taskWorkflowId(child.taskId))
        .describe()
        .catch(() => undefined);
      for (const activity of description?.raw.pendingActivities ?? []) {
        if (activity.state === STARTED && activity.lastWorkerIdentity?.startsWith(`${workerPid}@`)) names.push(activity.activityType?.name ?? '?');
      }
    }
  }
  return names;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const next = random(options.seed);
  const began = Date.now();
  const elapsed = () => seconds(Date.now() - began);
  console.log(`Soak: ${options.kills} kills (seed ${options.seed}), 20-child graphs, ${options.graphsInFlight} at a time.`);
  const harness = await RunnerHarness.start();
  let worker: WorkerProcess = await harness.startWorker();
  const onSignal = () => {
    console.error('\nInterrupted: stopping workers and servers…');
    void harness.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const runs: GraphRun[] = [];
  const killHits: { at: number; graphs: string[]; activities: string[] }[] = [];
  let graphCount = 0;
  const startGraph = async (): Promise<GraphRun> => {
    const graphId = `soak${++graphCount}`;
    const repo = await harness.makeRepo({ 'README.md': `# ${graphId}\n` });
    const children = soakChildren(graphId);
    for (const child of children) scriptChild(harness, child);
    await harness.client.createTaskGraph({
      parent: { taskId: graphId, repoPath: repo, prompt: `Soak graph ${graphId}: every child writes its own file` },
      children: children.map((child) => ({ ...child, prompt: `Write ${child.taskId}.txt ${markerOf(child.taskId)}` })),
    });
    const run: GraphRun = { graphId, repo, children, startedAt: Date.now(), problems: [] };
    runs.push(run);
    void harness.client.waitForTask(graphId).then(
      (record) => {
        run.record = record;
        run.endedAt = Date.now();
      },
      async () => {
        run.record = await harness.client.getTask(graphId).catch(() => undefined);
        run.endedAt = Date.now();
      },
    );
    console.log(`[${elapsed()}] started graph ${graphId}`);
    return run;
  };
  const running = () => runs.filter((run) => run.endedAt === undefined);

  try {
    for (let kill = 1; kill <= options.kills; kill++) {
      while (running().length < options.graphsInFlight) await startGraph();
      await sleep(options.minIntervalMs + next() * (options.maxIntervalMs - options.minIntervalMs));
      while (running().length < 1) await startGraph();
      const hit = running();
      const killedPid = worker.child.pid!;
      await worker.stop('SIGKILL');
      const activities = await killedActivities(harness, hit, killedPid);
      killHits.push({ at: Date.now(), graphs: hit.map((run) => run.graphId), activities });
      console.log(
        `[${elapsed()}] kill ${kill}/${options.kills}: graphs ${hit.map((run) => run.graphId).join(', ')}; running ${activities.join(', ') || 'no activity'}`,
      );
      worker = await harness.startWorker();
    }
    console.log(`[${elapsed()}] all kills done; waiting for the graphs to end`);
    // A kill inside a host step costs its workflow task's 10 s timeout, inside a graph's merge
    // its 30 s heartbeat timeout; the margin is for a slow machine.
    const deadline = Date.now() + 8 * 60_000;
    while (running().length > 0 && Date.now() < deadline) await sleep(1_000);
    for (const run of runs) {
      if (run.endedAt === undefined) run.problems.push('did not end within 8 minutes of the last kill');
      else await checkGraph(harness, run);
      const took = run.endedAt === undefined ? 'unfinished' : seconds(run.endedAt - run.startedAt);
      console.log(
        `${run.graphId}: ${run.problems.length === 0 ? 'intact' : 'NOT INTACT'} (${took})${run.problems.map((problem) => `\n  - ${problem}`).join('')}`,
      );
    }
  } finally {
    await harness.stop();
  }

  const intact = new Set(runs.filter((run) => run.problems.length === 0).map((run) => run.graphId));
  const survived = killHits.filter((hit) => hit.graphs.every((graphId) => intact.has(graphId))).length;
  const inTurns = killHits.filter((hit) => hit.activities.includes('runCodexTurn')).length;
  const inGit = killHits.filter((hit) => hit.activities.some((name) => name !== 'runCodexTurn')).length;
  console.log(`\nKills survived: ${survived}/${killHits.length} (every graph running at the kill completed intact)`);
  console.log(`Graphs completed intact: ${intact.size}/${runs.length}`);
  console.log(`Kills that hit a Codex turn: ${inTurns}; a git or runtime activity: ${inGit}; soak took ${elapsed()} (seed ${options.seed}).`);
  process.exitCode = intact.size === runs.length && survived === killHits.length ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
