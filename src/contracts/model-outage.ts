import { ErrorCode } from './errors';

/** A turn whose codex reports nothing (no event) for this long is ended (`codex.turnInactivityTimeout`). */
export const DEFAULT_TURN_INACTIVITY_TIMEOUT = '10m';
/** How long a turn is retried on its thread while the model is unavailable (`codex.outageWindow`). */
export const DEFAULT_OUTAGE_WINDOW = '30m';

/**
 * The failures of a turn that pass with time: the model API answered 429 or 5xx, or the stream
 * dropped, after codex's own retries (codex says "exceeded retry limit, last status: 429 …",
 * "unexpected status 503 …", "We're currently experiencing high demand" for a 500, "stream
 * disconnected before completion …"); or codex reported nothing for the inactivity timeout.
 * Anything else (400, 401, an unknown model, the agent's own failure) fails the task at once.
 */
const TRANSIENT_MODEL_FAILURE = [
  /\b429\b/,
  /\bstatus:? 5\d\d\b/i,
  /experiencing high demand/i,
  /stream disconnected/i,
  /\b(transport|network|connection) error\b/i,
  /error sending request/i,
  /connection (refused|reset)/i,
  /timed? ?out/i,
];

/** Whether codex's words for a failed turn describe a model that is unavailable for now. */
export function isTransientModelFailure(message: string): boolean {
  return TRANSIENT_MODEL_FAILURE.some((pattern) => pattern.test(message));
}

/** The codes of turn failures a task waits out (see {@link OutageTracker}). */
export function isOutageCode(code: string): boolean {
  return code === ErrorCode.codexModelUnavailable || code === ErrorCode.codexTurnStalled;
}

/** What the session activity attaches to an outage failure: the window its host or task sets. */
export interface OutageDetails {
  outageWindowMs: number;
}

/**
 * The wait before the `retry`-th retry of an outage (1-based), scaled to its window: 1/120 of it,
 * doubling, at most 1/6 of it (for the default 30 minutes: 15 s, 30 s, 1, 2, 4, then 5 minutes).
 */
export function outageRetryDelayMs(retry: number, windowMs: number): number {
  return Math.round(Math.min((windowMs / 120) * 2 ** (retry - 1), windowMs / 6));
}

/** What the tracker says about a failure: retry after `delayMs`, or give up (the window has closed). */
export type OutageVerdict =
  | { kind: 'retry'; /** 1-based within this outage. */ retry: number; delayMs: number; /** Since the outage's first failure. */ elapsedMs: number }
  | { kind: 'give-up'; retries: number; elapsedMs: number };

/**
 * One task's model outage: from a turn's first transient failure until a turn completes. Each
 * failure within the window gets a retry after {@link outageRetryDelayMs}; a retry that would
 * start after the window closes is not given.
 */
export class OutageTracker {
  private outage: { sinceMs: number; retries: number } | undefined;

  /** The verdict on a transient failure at `nowMs`, in an outage waited out for `windowMs`. */
  failed(nowMs: number, windowMs: number): OutageVerdict {
    this.outage ??= { sinceMs: nowMs, retries: 0 };
    const retry = this.outage.retries + 1;
    const delayMs = outageRetryDelayMs(retry, windowMs);
    const elapsedMs = nowMs - this.outage.sinceMs;
    if (elapsedMs + delayMs > windowMs) return { kind: 'give-up', retries: this.outage.retries, elapsedMs };
    this.outage.retries = retry;
    return { kind: 'retry', retry, delayMs, elapsedMs };
  }

  /** The outage, if any, is over: a turn completed, or an operator resumed the task. */
  ended(): void {
    this.outage = undefined;
  }
}

/** "500 ms", "90 s", "12 min", "2 h": a span of time as events and messages say it. */
export function describeSpan(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
