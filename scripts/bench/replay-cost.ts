/**
 * CPU the workflow code costs per workflow, measured by replaying the recorded histories in
 * test/histories against dist/workflow-bundle.js in this process: no server, no codex, no other
 * process, so unlike the shapes' figures it hardly moves with the machine's load. Replay runs the
 * same code as a live worker's workflow thread (creating each workflow, every activation), so a
 * change to the workflows or to how they are bundled shows here first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';

const HISTORIES = path.resolve(__dirname, '..', '..', 'test', 'histories');
const BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

export interface ReplayCost {
  /** Recorded histories replayed per round (the current ones; not those kept from before a patch). */
  histories: number;
  /** CPU of this process per replayed workflow, the median over the rounds. */
  cpuMsPerWorkflow: number;
  rounds: number;
}

type RecordedHistory = { name: string; history: temporal.api.history.v1.IHistory };

/** The current recorded histories, parsed and converted once (so no round pays for it). */
function currentHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES)
    .filter((file) => file.endsWith('.json') && !file.includes('.before-'))
    .map((file) => ({ name: file, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'))) }));
}

/** CPU milliseconds of one replay worker replaying every history `copies` times. */
async function replayCpuMs(histories: RecordedHistory[], copies: number): Promise<number> {
  const input = Array.from({ length: copies }, (_, copy) => histories.map(({ name, history }) => ({ workflowId: `${name}-${copy}`, history }))).flat();
  const before = process.cpuUsage();
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: BUNDLE } }, input)) {
    if (result.error) throw new Error(`Replaying ${result.workflowId} failed: ${String(result.error)}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Each round replays the histories 5 and 20 times, each in a worker of its own; the difference
 * divided by the 15 extra copies leaves out what a replay worker costs to start (loading the
 * bundle and its source map).
 */
export async function measureReplayCost(rounds = 3): Promise<ReplayCost> {
  const histories = currentHistories();
  await replayCpuMs(histories, 2); // warm: the first worker in a process pays for loading the SDK
  const perWorkflow: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const few = await replayCpuMs(histories, 5);
    const many = await replayCpuMs(histories, 20);
    perWorkflow.push((many - few) / (15 * histories.length));
  }
  perWorkflow.sort((a, b) => a - b);
  return { histories: histories.length, cpuMsPerWorkflow: perWorkflow[Math.floor(rounds / 2)]!, rounds };
}
