import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

/** The bundle a worker loads (`npm test` and the bench build it first). */
export const WORKFLOW_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

/** Where the histories recorded from real runs live (`RECORD_HISTORIES=1`, see runner-harness.ts). */
export const RECORDED_HISTORIES = path.resolve(__dirname, '..', 'histories');

/** The recorded histories, parsed, each named by its file. */
export function recordedHistories(): HistoryAndWorkflowId[] {
  return readdirSync(RECORDED_HISTORIES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(path.join(RECORDED_HISTORIES, file), 'utf8'))) }));
}

/** Replays every history against {@link WORKFLOW_BUNDLE}: the workflow id of each, with its error (undefined when it replayed). */
export async function replayAll(histories: Parameters<typeof Worker.runReplayHistories>[1]): Promise<{ workflowId: string; error: unknown }[]> {
  const results: { workflowId: string; error: unknown }[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE } }, histories)) {
    results.push({ workflowId: result.workflowId, error: result.error });
  }
  return results;
}
