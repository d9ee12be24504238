/**
 * How recently a worker must have polled a task queue to count as running. The server records a
 * poller when its long poll starts, and an idle worker's poll expires and is renewed about once a
 * minute; a stopped worker stays listed for minutes, at its last poll.
 */
export const WORKER_SEEN_MS = 90_000;

/** Whether a poll at `lastPollMs` (undefined: none recorded) shows a running worker at `now`. */
export function polledRecently(lastPollMs: number | undefined, now: number): boolean {
  return lastPollMs !== undefined && now - lastPollMs < WORKER_SEEN_MS;
}
