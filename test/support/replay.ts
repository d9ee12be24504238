import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type HistoryAndWorkflowId } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { taskWorkflowId } from '../../src/contracts/ids';

/** The bundle a worker loads (`npm test` and the bench build it first). */
export const WORKFLOW_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

/** Where the histories recorded from real runs live (`RECORD_HISTORIES=1`, see runner-harness.ts). */
export const RECORDED_HISTORIES = path.resolve(__dirname, '..', 'histories');

/**
 * The workflow id a history ran under, from its input: workflows are bound to their id
 * (`codex-task-<taskId>`) and fail a replay under any other.
 */
export function workflowIdOf(history: temporal.api.history.v1.IHistory): string {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error('a history that does not start with its workflow’s input');
  const input = defaultPayloadConverter.fromPayload<{ taskId?: string; parent?: { taskId: string } }>(payload);
  return taskWorkflowId(input.parent?.taskId ?? input.taskId ?? '');
}

/** The recorded histories, parsed, each with the file it is in and the workflow id it ran under. */
export function recordedHistories(): (HistoryAndWorkflowId & { file: string })[] {
  return readdirSync(RECORDED_HISTORIES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(RECORDED_HISTORIES, file), 'utf8')));
      return { file, workflowId: workflowIdOf(history), history };
    });
}

/** Replays every history against {@link WORKFLOW_BUNDLE}: the workflow id of each, with its error (undefined when it replayed). */
export async function replayAll(histories: Parameters<typeof Worker.runReplayHistories>[1]): Promise<{ workflowId: string; error: unknown }[]> {
  const results: { workflowId: string; error: unknown }[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE } }, histories)) {
    results.push({ workflowId: result.workflowId, error: result.error });
  }
  return results;
}
