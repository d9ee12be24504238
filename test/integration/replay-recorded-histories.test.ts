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
    const results = await replayAll(histories);
    expect(results.map(({ error }, i) => ({ file: histories[i]!.file, error }))).toEqual(histories.map(({ file }) => ({ file, error: undefined })));
  });
});
