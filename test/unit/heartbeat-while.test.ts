import type { Context } from '@temporalio/activity';
import { heartbeatWhile } from '../../src/activities/heartbeat-while';

/** Just the part of an activity context that heartbeatWhile uses: a record of its beats. */
function recordingContext(): { context: Context; beats: unknown[] } {
  const beats: unknown[] = [];
  return { context: { heartbeat: (details?: unknown) => beats.push(details) } as unknown as Context, beats };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('heartbeatWhile', () => {
  it('beats at once, then every period while the work runs, and not after it ends', async () => {
    const { context, beats } = recordingContext();
    const result = await heartbeatWhile(context, 'merging', 20, async () => {
      await sleep(110);
      return 'done';
    });
    expect(result).toBe('done');
    const whileRunning = beats.length;
    expect(whileRunning).toBeGreaterThanOrEqual(3);
    expect(new Set(beats)).toEqual(new Set(['merging']));
    await sleep(60);
    expect(beats).toHaveLength(whileRunning);
  });

  it('stops beating when the work fails, and lets the failure through', async () => {
    const { context, beats } = recordingContext();
    await expect(heartbeatWhile(context, 'x', 20, () => Promise.reject(new Error('git failed')))).rejects.toThrow('git failed');
    expect(beats).toEqual(['x']);
    await sleep(60);
    expect(beats).toEqual(['x']);
  });
});
