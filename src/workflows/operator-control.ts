import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { InterruptRequestSchema, ResumeRequestSchema } from '../contracts/messages';
import { onSignal } from './guarded-handlers';
import { interruptSignal, resumeSignal } from './messages';
import type { TaskJournal } from './task-journal';

/** What a resume brings: whether the task was parked at all, and the operator's message. */
export interface Resumption {
  resumed: boolean;
  message?: string;
}

/**
 * An operator's interrupt and resume of one task (signals `interrupt` and `resume`). An interrupt
 * cancels the running turn (its codex process ends) or keeps a queued task from starting; the
 * task then parks as `interrupted`, its worktree, branch and thread kept, until it is resumed.
 */
export class OperatorControl {
  private interruptRequest: { reason?: string } | undefined;
  private resumeRequest: { message?: string } | undefined;
  private turnScope: CancellationScope | undefined;

  constructor(private readonly journal: TaskJournal) {
    onSignal(journal, interruptSignal, InterruptRequestSchema, (request) => {
      // Only a queued or running task can be interrupted; the CLI refuses the others first.
      const { state } = journal.record;
      if (state !== 'queued' && state !== 'running') return;
      this.interruptRequest ??= request;
      this.turnScope?.cancel();
    });
    onSignal(journal, resumeSignal, ResumeRequestSchema, (request) => {
      if (journal.record.state === 'interrupted') this.resumeRequest ??= request;
    });
  }

  /** Waits until `ready()`, parking the task whenever it is interrupted meanwhile. */
  async waitUntil(ready: () => boolean): Promise<void> {
    while (!ready()) {
      await condition(() => ready() || this.interruptRequest !== undefined);
      await this.pauseIfInterrupted();
    }
  }

  /** Parks the task while it is interrupted, and returns once it is resumed. */
  async pauseIfInterrupted(): Promise<Resumption> {
    const interrupt = this.interruptRequest;
    if (interrupt === undefined) return { resumed: false };
    const { journal } = this;
    const where = () => ({ worktreePath: journal.record.worktreePath, threadId: journal.record.threadId });
    const stateBefore = journal.record.state;
    journal.setState('interrupted');
    journal.emit('task.interrupted', { message: interrupt.reason, ...where() });
    this.interruptRequest = undefined;
    await condition(() => this.resumeRequest !== undefined);
    const { message } = this.resumeRequest!;
    this.resumeRequest = undefined;
    journal.emit('task.resumed', { message, ...where() });
    journal.setState(stateBefore === 'running' ? 'running' : 'queued');
    return { resumed: true, ...(message ? { message } : {}) };
  }

  /**
   * Runs a turn (or a wait) an interrupt may cancel: undefined when the interrupt did, or came
   * before it began, or while it ended some other way. Anything else, Temporal's own cancel
   * included, goes on up.
   */
  async interruptible<T>(turn: () => Promise<T>): Promise<T | undefined> {
    if (this.interruptRequest !== undefined) return undefined;
    const scope = new CancellationScope();
    this.turnScope = scope;
    try {
      return await scope.run(turn);
    } catch (error) {
      if (this.interruptRequest !== undefined && !(isCancellation(error) && CancellationScope.current().consideredCancelled)) return undefined;
      throw error;
    } finally {
      this.turnScope = undefined;
    }
  }
}
