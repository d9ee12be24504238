/**
 * CPU the workflow code costs per workflow, measured by replaying the recorded histories in
 * test/histories against dist/workflow-bundle.js in this process: no server, no codex, no other
 * process, so unlike the shapes' figures it hardly moves with the machine's load. Replay runs the
 * same code as a live worker's workflow thread (creating each workflow, every activation), so a
 * change to the workflows or to how they are bundled shows here first.
 */
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { recordedHistories, replayAll } from '../../test/support/replay';

export interface ReplayCost {
  /** Recorded histories replayed per round. */
  histories: number;
  /** CPU of this process per replayed workflow, the median over the rounds. */
  cpuMsPerWorkflow: number;
  rounds: number;
}

/** CPU milliseconds of one replay worker replaying every history `copies` times. */
async function replayCpuMs(histories: HistoryAndWorkflowId[], copies: number): Promise<number> {
  // Each copy under its own workflow id: workflows are bound to theirs, and a replay under another fails.
  const input = Array.from({ length: copies }, () => histories).flat();
  const before = process.cpuUsage();
  const results = await replayAll(input);
  const used = process.cpuUsage(before);
  const failed = results.find(({ error }) => error !== undefined);
  if (failed) throw new Error(`Replaying ${failed.workflowId} failed: ${String(failed.error)}`);
  return (used.user + used.system) / 1000;
}

/**
 * Each round replays the histories 5 and 20 times, each in a worker of its own; the difference
 * divided by the 15 extra copies leaves out what a replay worker costs to start (loading the
 * bundle and its source map).
 */
export async function measureReplayCost(rounds = 3): Promise<ReplayCost> {
  // Parsed once, outside the measured CPU.
  const histories = recordedHistories();
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
