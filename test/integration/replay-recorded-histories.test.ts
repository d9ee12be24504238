import { recordedHistories, replayAll } from '../support/replay';

/**
 * Histories recorded from real runs (RECORD_HISTORIES=1 npm test -- task-workflow) must keep
 * replaying against today's workflow code: a change to the command sequence that would break
 * workflows already in flight fails here.
 */
describe('recorded task workflow histories', () => {
  it('replay without a determinism error', async () => {
    const histories = recordedHistories();
    expect(histories.length).toBeGreaterThanOrEqual(2);
    expect(await replayAll(histories)).toEqual(histories.map(({ workflowId }) => ({ workflowId, error: undefined })));
  });
});
