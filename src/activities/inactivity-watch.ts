/**
 * Aborts its signal once {@link progressed} has not been called for `limitMs`: a codex process
 * that stopped making progress (a model that never answers, a stream that hangs) is ended rather
 * than left running until the activity's 12-hour timeout. Checked every `checkEveryMs`.
 */
export class InactivityWatch {
  private readonly controller = new AbortController();
  private lastProgressAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limitMs: number,
    checkEveryMs: number,
  ) {
    this.timer = setInterval(() => this.check(), Math.min(checkEveryMs, limitMs));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the limit was reached. */
  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  progressed(): void {
    this.lastProgressAt = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (Date.now() - this.lastProgressAt < this.limitMs) return;
    this.stop();
    this.controller.abort(new Error(`no progress for ${this.limitMs} ms`));
  }
}
