import { OnDemand } from '../../src/mcp/on-demand';
import { isTemporalUnreachable } from '../../src/client/errors';
import { progressMessage } from '../../src/mcp/wait-for-task';

describe('OnDemand', () => {
  it('makes the value once, shares an attempt in flight, and tries again after a failure', async () => {
    let attempts = 0;
    const made = new OnDemand(() => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error('Temporal is down')) : Promise.resolve({ attempt: attempts });
    });
    await expect(made.get()).rejects.toThrow('Temporal is down');
    expect(made.current()).toBeUndefined();
    const [first, second] = await Promise.all([made.get(), made.get()]);
    expect(first).toBe(second);
    expect(await made.get()).toEqual({ attempt: 2 });
    expect(made.current()).toEqual({ attempt: 2 });
    expect(attempts).toBe(2);
  });
});

describe('isTemporalUnreachable', () => {
  it("finds gRPC's UNAVAILABLE in an error or its causes, and nothing else", () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: Connection refused'), { code: 14 });
    expect(isTemporalUnreachable(grpc)).toBe(true);
    expect(isTemporalUnreachable(new Error('Failed to list workflows', { cause: grpc }))).toBe(true);
    expect(isTemporalUnreachable(Object.assign(new Error('5 NOT_FOUND'), { code: 5 }))).toBe(false);
    expect(isTemporalUnreachable(new Error('boom'))).toBe(false);
    expect(isTemporalUnreachable('14')).toBe(false);
  });
});

describe('progressMessage', () => {
  it('is the event type, with its message when it has one', () => {
    expect(progressMessage({ type: 'task.completed' })).toBe('task.completed');
    expect(progressMessage({ type: 'session.retrying', message: 'The model is unavailable' })).toBe('session.retrying: The model is unavailable');
  });
});
