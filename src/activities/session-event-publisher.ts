import type { WorkflowHandle } from '@temporalio/client';
import type { SessionEventBatch, SessionEventInput } from '../contracts/events';
import { sessionEventsSignal } from '../workflows/messages';

/** How often buffered session events are signalled to the workflow (each signal is a few history events). */
export const SESSION_EVENT_FLUSH_MS = 1_000;
const FINAL_FLUSH_ATTEMPTS = 5;

/**
 * Sends a turn's events to its workflow in batches, about once a second, so the history (the
 * audit trail) and `events --follow` show progress during a turn without one signal per item.
 * Events stay buffered until a signal carrying them succeeded, so a brief server outage delays
 * them rather than losing them.
 */
export class SessionEventPublisher {
  private buffer: SessionEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly workflow: WorkflowHandle,
    private readonly attempt: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(this.onError), SESSION_EVENT_FLUSH_MS);
  }

  push(event: SessionEventInput): void {
    this.buffer.push(event);
  }

  /** Signals everything buffered so far; concurrent calls are serialised to keep event order. */
  flush(): Promise<void> {
    this.inFlight = this.inFlight
      .catch(() => undefined)
      .then(async () => {
        if (this.buffer.length === 0) return;
        const events = this.buffer;
        this.buffer = [];
        try {
          await this.workflow.signal(sessionEventsSignal, { attempt: this.attempt, events });
        } catch (error) {
          this.buffer = [...events, ...this.buffer];
          throw error;
        }
      });
    return this.inFlight;
  }

  /**
   * Stops the timer, lets a signal already on its way arrive, and hands over what is left
   * instead of signalling it: a turn that completes returns its last events in its result, which
   * saves a signal and the workflow task it would cause.
   */
  async handOver(): Promise<SessionEventBatch> {
    if (this.timer) clearInterval(this.timer);
    // A failed signal puts its events back in the buffer: they are handed over with the rest.
    await this.inFlight.catch(() => undefined);
    const events = this.buffer;
    this.buffer = [];
    return { attempt: this.attempt, events };
  }

  /** Stops the timer and delivers what is left, retrying briefly: these are the turn's last events. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush();
        return;
      } catch (error) {
        if (attempt >= FINAL_FLUSH_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }
}
