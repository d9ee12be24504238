import { MockActivityEnvironment } from '@temporalio/testing';
import { CommandQueue } from '../../src/host/launcher';
import { rankByActivity } from '../../src/worker/git-queue';
import { heldLauncher } from '../support/held-launcher';

describe('the order queued git commands go in (rankByActivity)', () => {
  it('queues the steps other work waits for first, then older activities before newer ones', async () => {
    // One place, taken first; each command ends when the test says so.
    const { inner, started, end } = heldLauncher();
    const queue = new CommandQueue(inner, 1, rankByActivity);
    const options = { cwd: '/', env: {} };
    const blocker = queue.run('blocker', [], options);
    // Each command is asked for from inside its own activity, as a worker's git steps are.
    const asked = (
      [
        ['newWorktree', 'provisionWorktree', 2_000],
        ['oldWorktree', 'provisionWorktree', 1_000],
        ['commit', 'commitTaskWork', 3_000],
        ['graphMerge', 'mergeGraphBranch', 4_000],
        ['graphBase', 'resolveGraphBase', 5_000],
      ] as const
    ).map(([name, activityType, scheduledTimestampMs]) =>
      new MockActivityEnvironment({ activityType, scheduledTimestampMs, isLocal: true }).run(() => queue.run(name, [], options)),
    );
    for (let command = 0; command < 6; command++) {
      await new Promise((resolve) => setImmediate(resolve));
      await end(started[command]!);
    }
    await Promise.all([blocker, ...asked]);
    expect(started).toEqual(['blocker', 'commit', 'graphMerge', 'graphBase', 'oldWorktree', 'newWorktree']);
  });

  it('ranks a command from outside any activity with the awaited ones, by the time it is asked', () => {
    const before = Date.now();
    const [first, at] = rankByActivity();
    expect(first).toBe(0);
    expect(at).toBeGreaterThanOrEqual(before);
  });
});
