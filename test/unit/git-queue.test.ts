import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandRank } from '../../src/host/launcher';
import { rankByActivity } from '../../src/worker/git-queue';

const rankIn = (activityType: string, scheduledTimestampMs: number): Promise<CommandRank> =>
  new MockActivityEnvironment({ activityType, scheduledTimestampMs, isLocal: true }).run(() => Promise.resolve(rankByActivity()));

describe('the order queued git commands go in (rankByActivity)', () => {
  it('puts the steps other work waits for first, then older activities before newer ones', async () => {
    const ranks = {
      newWorktree: await rankIn('provisionWorktree', 2_000),
      oldWorktree: await rankIn('provisionWorktree', 1_000),
      commit: await rankIn('commitTaskWork', 3_000),
      graphMerge: await rankIn('mergeGraphBranch', 4_000),
      graphBase: await rankIn('resolveGraphBase', 5_000),
    };
    const order = Object.entries(ranks)
      .sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1])
      .map(([name]) => name);
    expect(order).toEqual(['commit', 'graphMerge', 'graphBase', 'oldWorktree', 'newWorktree']);
  });

  it('ranks a command from outside any activity with the awaited ones, by the time it is asked', () => {
    const before = Date.now();
    const [first, at] = rankByActivity();
    expect(first).toBe(0);
    expect(at).toBeGreaterThanOrEqual(before);
  });
});
