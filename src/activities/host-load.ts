import { Context } from '@temporalio/activity';
import { taskIdFromWorkflowId } from '../contracts/ids';

/**
 * How long a placement holds a slot with no sign of its task on the host: each of the task's
 * steps there (runtime check, worktree, config) renews it while it runs, and its first check or
 * turn takes the slot over. A task that ended before its first turn lets it go after this.
 */
export const RESERVATION_MS = 30_000;

/**
 * The session slots of one host as placement sees them: a slot is taken by a task whose turn or
 * check runs here, or that was placed here and is getting ready for its first one (its worktree
 * is being made; see {@link RESERVATION_MS}). A host places a task only into a free slot, so tasks
 * spread over the pool's hosts by their free slots. The host's session queue still bounds what
 * actually runs: this only decides where tasks go.
 */
export class HostLoad {
  private readonly running = new Map<string, number>();
  private readonly reserved = new Map<string, number>();
  private readonly freed = new Set<() => void>();

  constructor(
    readonly slots: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot for `taskId`, which is about to be placed here; false when every slot is taken. */
  reserve(taskId: string): boolean {
    this.expire();
    if (this.running.has(taskId) || this.reserved.has(taskId)) return true;
    if (this.busy() >= this.slots) return false;
    this.reserved.set(taskId, this.now());
    return true;
  }

  /** Renews the reservation of `taskId`, if it has one: one of its steps runs here. */
  renew(taskId: string): void {
    if (this.reserved.has(taskId)) this.reserved.set(taskId, this.now());
  }

  /** Runs `work` (a turn or a check of `taskId`) as holding the task's slot. */
  async around<T>(taskId: string, work: () => Promise<T>): Promise<T> {
    this.reserved.delete(taskId);
    this.running.set(taskId, (this.running.get(taskId) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.running.get(taskId) ?? 1) - 1;
      if (left > 0) this.running.set(taskId, left);
      else this.running.delete(taskId);
      for (const wake of this.freed) wake();
    }
  }

  /** Resolves once a slot may have come free: a turn or check ended, or `withinMs` passed (a reservation may have expired). */
  whenFree(withinMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.freed.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, withinMs);
      this.freed.add(wake);
    });
  }

  /** Slots taken: tasks running here, and those placed here that have not started yet. */
  busy(): number {
    this.expire();
    return this.running.size + this.reserved.size;
  }

  private expire(): void {
    const oldest = this.now() - RESERVATION_MS;
    for (const [taskId, at] of this.reserved) if (at < oldest) this.reserved.delete(taskId);
  }
}

/** The task whose workflow runs the current activity. */
function currentTaskId(): string {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
  return taskIdFromWorkflowId(workflowId) ?? workflowId;
}

/** `activity` (a turn or a check) holding its task's slot in `load` while it runs. */
export function holdingSlot<A extends unknown[], R>(load: HostLoad, activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => load.around(currentTaskId(), () => activity(...args));
}

/** How often a host's short step heartbeats (their heartbeat timeout is 10 s, see host-steps.ts) and renews its task's reservation. */
const HOST_STEP_BEAT_MS = 2_000;

/** `activity` (a short step on the host's queue) heartbeating while it runs, and renewing its task's reservation in `load`. */
export function hostStep<A extends unknown[], R>(load: HostLoad, activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    const context = Context.current();
    const taskId = currentTaskId();
    const beat = () => {
      context.heartbeat();
      load.renew(taskId);
    };
    beat();
    const timer = setInterval(beat, HOST_STEP_BEAT_MS);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
      load.renew(taskId);
    }
  };
}
