import { describeSpan, isTransientModelFailure, OutageTracker, outageRetryDelayMs } from '../../src/contracts/model-outage';
import { durationMs } from '../../src/contracts/task';

// codex 0.163.0's own words for a failed turn, as it reported them against the scripted model
// with retries off (see scripted-model-server.ts).
const TRANSIENT = [
  'exceeded retry limit, last status: 429 Too Many Requests',
  'We’re currently experiencing high demand, which may cause temporary errors.',
  'unexpected status 503 Service Unavailable: scripted HTTP 503, url: http://127.0.0.1:40619/v1/responses',
  'unexpected status 502 Bad Gateway: bad gateway, url: http://127.0.0.1:40619/v1/responses',
  'stream disconnected before completion: Transport error: network error: error decoding response body',
];
const PERMANENT = [
  '{"error":{"message":"Unsupported parameter","type":"invalid_request_error","code":null}}',
  'unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:40619/v1/responses',
  'unexpected status 404 Not Found: The model `gpt-x` does not exist, url: http://127.0.0.1:40619/v1/responses',
  'Codex Exec exited with code 1: Reading prompt from stdin...',
];

describe('model outages', () => {
  it.each(TRANSIENT)('waits out %s', (message) => expect(isTransientModelFailure(message)).toBe(true));
  it.each(PERMANENT)('fails at once on %s', (message) => expect(isTransientModelFailure(message)).toBe(false));

  it('waits 1/120 of the window, doubling, at most 1/6 of it', () => {
    const window = durationMs('30m');
    expect([1, 2, 3, 4, 5, 6, 7].map((retry) => outageRetryDelayMs(retry, window) / 1000)).toEqual([15, 30, 60, 120, 240, 300, 300]);
  });

  it('retries until a retry would start after the window, and starts over once a turn completes', () => {
    const tracker = new OutageTracker();
    const window = 120_000; // delays 1 s, 2 s, 4 s, 8 s, 16 s, 20 s, …
    expect(tracker.failed(0, window)).toEqual({ kind: 'retry', retry: 1, delayMs: 1_000, elapsedMs: 0 });
    expect(tracker.failed(60_000, window)).toEqual({ kind: 'retry', retry: 2, delayMs: 2_000, elapsedMs: 60_000 });
    expect(tracker.failed(117_000, window)).toEqual({ kind: 'give-up', retries: 2, elapsedMs: 117_000 });
    tracker.ended();
    expect(tracker.failed(200_000, window)).toMatchObject({ kind: 'retry', retry: 1, elapsedMs: 0 });
  });

  it('says spans in the unit that reads best', () => {
    expect([durationMs('500ms'), durationMs('2s'), durationMs('90s'), durationMs('10m'), durationMs('3h')].map(describeSpan)).toEqual([
      '500 ms',
      '2 s',
      '90 s',
      '10 min',
      '3 h',
    ]);
  });
});
