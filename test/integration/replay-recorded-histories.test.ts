import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

const HISTORIES = path.resolve(__dirname, '..', 'histories');
const WORKFLOW_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

/**
 * Histories recorded from real runs (RECORD_HISTORIES=1 npm test -- task-workflow) must keep
 * replaying against today's workflow code: a change to the command sequence that would break
 * workflows already in flight fails here.
 */
describe('recorded task workflow histories', () => {
  it('replay without a determinism error', async () => {
    const files = (await readdir(HISTORIES)).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    async function* histories() {
      for (const file of files) {
        yield { workflowId: file, history: historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES, file), 'utf8'))) };
      }
    }
    const results: { workflowId: string; error: unknown }[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE } }, histories())) {
      results.push({ workflowId: result.workflowId, error: result.error });
    }
    expect(results).toEqual(files.map((workflowId) => ({ workflowId, error: undefined })));
  });
});
