/**
 * One shape on the plain-script baseline (./baseline.ts), run as its own process with a fresh
 * CODEX_HOME, its process tree sampled for memory like the worker's.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { simpleGit } from 'simple-git';
import { createCodexTestEnv } from '../../test/support/codex-env';
import type { RunnerHarness } from '../../test/support/runner-harness';
import type { CodexConfigObject } from '../../src/scripted-model/scripted-model-server';
import type { BaselineResult, BaselineSpec } from './baseline';
import { sampleProcessTreeRss, type RssPeaks } from './process-tree-rss';
import { GRAPH_GOAL, measureBenchProcessCpu, removeCodexEnv, type BenchCpu, type Stoppable } from './runner-run';
import { graphChildren, scriptChildren, type BenchChild, type Shape } from './shapes';

const ROOT = path.resolve(__dirname, '..', '..');
const BASELINE_ENTRY = path.join(__dirname, 'baseline.ts');

export interface BaselineFigures extends Omit<BaselineResult, 'cpu' | 'devServerCpu' | 'machineCpu'> {
  /** The baseline process (node) and its codex and git children. */
  tree: RssPeaks;
  cpu: BenchCpu;
}

/** The work of `shape` on `children`, from `repoPath`'s HEAD, for the baseline (or the reference system). */
export async function baselineSpec(
  repoPath: string,
  shape: Shape,
  children: BenchChild[],
  codexConfig: CodexConfigObject,
  devServerPid?: number,
): Promise<BaselineSpec> {
  return {
    repoPath,
    baseSha: (await simpleGit(repoPath).revparse(['HEAD'])).trim(),
    slots: shape.slots,
    goal: GRAPH_GOAL,
    children,
    codexConfig,
    ...(devServerPid === undefined ? {} : { devServerPid }),
  };
}

let floorCode: Promise<string> | undefined;

/**
 * The floor's workflow code, bundled once per bench: bundling in the floor's own process would
 * leave webpack's memory in it, and every codex it starts would pay for forking that.
 */
function floorBundle(): Promise<string> {
  floorCode ??= bundleWorkflowCode({ workflowsPath: require.resolve('./floor-workflow'), logger: new DefaultLogger('WARN') }).then(({ code }) => code);
  return floorCode;
}

/**
 * Runs `shape` on the plain-script baseline, or with `floor` on the floor: the same script
 * scheduling through the least Temporal a task graph can be made of (./floor-workflow.ts), on
 * `harness`'s server.
 */
export async function runBaselineShape(
  harness: RunnerHarness,
  shape: Shape,
  track: (stop: Stoppable) => void,
  { floor = false } = {},
): Promise<BaselineFigures> {
  const codexEnv = await createCodexTestEnv();
  try {
    const repoPath = await harness.makeRepo();
    const children = graphChildren(shape, `${shape.name}-${floor ? 'f' : 'b'}`);
    scriptChildren(harness.model, shape, children);
    const spec = await baselineSpec(repoPath, shape, children, harness.model.codexConfig(), harness.server.pid);
    if (floor) {
      const bundlePath = path.join(codexEnv.root, 'floor-workflow-bundle.js');
      await writeFile(bundlePath, await floorBundle());
      spec.floor = { address: harness.server.address, namespace: harness.server.namespace, bundlePath };
    }
    const specPath = path.join(codexEnv.root, 'baseline-spec.json');
    await writeFile(specPath, JSON.stringify(spec));

    // Its own process group, so that stopping it (Ctrl-C, a failed run) takes its codex processes along.
    const child = spawn(process.execPath, ['--import', 'tsx', BASELINE_ENTRY, specPath], {
      cwd: ROOT,
      env: codexEnv.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    track(async () => {
      // The whole group, even when the script itself has exited: a crashed script can leave its
      // codex processes running in it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      await exited;
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const sampler = sampleProcessTreeRss(child.pid!);
    // The dev server's CPU the script measures itself, over its measured run.
    const benchCpu = measureBenchProcessCpu();
    const code = await exited;
    const tree = sampler.stop();
    const benchProcess = benchCpu();
    const unmatched = harness.model.unmatchedRequests.length;
    harness.model.reset();
    if (code !== 0) throw new Error(`${floor ? 'floor' : 'baseline'} exited with ${code}:\n${stderr}`);
    if (unmatched > 0) throw new Error(`${unmatched} model requests matched no script`);
    const { cpu, devServerCpu, machineCpu, ...result } = JSON.parse(stdout.trim().split('\n').at(-1)!) as BaselineResult;
    return { ...result, tree, cpu: { work: cpu, devServer: devServerCpu, benchProcess, machine: machineCpu } };
  } finally {
    await removeCodexEnv(codexEnv);
  }
}
