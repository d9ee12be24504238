import type { ErrorCode } from '../contracts/errors';
import type { GraphState } from '../contracts/graph';
import { isTerminalState, type TaskState } from '../contracts/task';

/**
 * The rules of a task graph, with no Temporal in them: which children may run, in which order,
 * how many at once, which of them hold a slot, which ones a failure blocks, and the graph's
 * aggregate state. The graph workflow tells it what happened (`childCompleted`, `childFailed`,
 * `childStateChanged`, `sessionStarted`, …) and asks it what to do (`release`); the bench's
 * baseline and floor run their tasks by the same rules.
 */

/** What the scheduler knows of a child: its id, priority and prerequisites. */
export interface ScheduledChild {
  taskId: string;
  priority: number;
  dependencyTaskIds: readonly string[];
}

/** A child that may run now, with the commits of the prerequisites its work builds on. */
export interface ChildRelease {
  taskId: string;
  /** Each prerequisite and its final commit, in the order the child lists them. */
  prerequisites: { taskId: string; commitSha: string }[];
  /** Its turns must report when they get and give up a session slot (see {@link GraphScheduler}). */
  reportsSessions: boolean;
}

/** A child that can never run, because a prerequisite did not complete. */
export interface ChildBlock {
  taskId: string;
  /** Its prerequisites that failed, or were blocked themselves. */
  blockedByTaskIds: string[];
  /** The child whose failure started the chain, and why it failed. */
  rootCause: { taskId: string; code: ErrorCode; message: string };
}

export interface GraphSchedulerOptions {
  /** How many of the graph's children may run at once (default: no limit but the workers'). */
  maxConcurrentTasks?: number | undefined;
  /**
   * Whether releases wait for session slots (default true). Off for a caller that starts a
   * released child's session at once, with no task queue in between where order could be lost.
   */
  sessionWindow?: boolean;
}

type Session = 'started' | 'ended';

/**
 * How many released children may wait for a session slot, given how many of the graph's children
 * have one: one, and one more for every four in session. A freed slot then finds a child ready for
 * it (a release takes a hop through the parent and a worktree), while a child that becomes ready
 * waits behind at most a quarter of the slots' worth of others.
 */
export function sessionWindowSize(inSession: number): number {
  return Math.max(1, Math.ceil(inSession / 4));
}

/**
 * Aggregate state of a graph, by the reference system's rule (first match wins): any child
 * failed (or cancelled) → failed; all completed → completed; then awaiting_approval, running,
 * interrupted; otherwise queued. It may read `failed` while siblings still run.
 */
export function aggregateGraphState(states: readonly TaskState[]): GraphState {
  if (states.some((state) => state === 'failed' || state === 'cancelled')) return 'failed';
  if (states.length > 0 && states.every((state) => state === 'completed')) return 'completed';
  for (const state of ['awaiting_approval', 'running', 'interrupted'] as const) {
    if (states.includes(state)) return state;
  }
  return 'queued';
}

/**
 * A graph's scheduler. The rules:
 *
 * - **Ready**: a child may run once every prerequisite completed; a child whose prerequisite
 *   failed or was cancelled is blocked instead, and so are its dependents, transitively.
 * - **Order**: among ready children, higher priority first, then input order.
 * - **Limit**: at most `maxConcurrentTasks` released children are `running`. One that awaits
 *   approval or is interrupted runs nothing and holds no slot.
 * - **Session window** (the order on busy workers): released children wait for a session slot
 *   at the workers' task queue, where they are served in the order they arrived, so a child that
 *   becomes ready later would wait behind every child released before it. So while a child
 *   with prerequisites could still be overtaken (it is not released yet, or waits for a slot),
 *   at most {@link sessionWindowSize} released children wait for a slot at a time, and their
 *   turns report when they get one (`sessionStarted`) and, before they free it, when they give it
 *   up (`sessionEnded`). No release happens while a child has ended its session and its outcome
 *   has not arrived: that outcome may make a dependent ready, and the freed slot should go to
 *   it. It needs no limit: it follows however many slots the workers give the graph.
 */
export class GraphScheduler<T extends ScheduledChild = ScheduledChild> {
  private readonly states: Map<string, TaskState>;
  private readonly released = new Set<string>();
  private readonly blocked = new Set<string>();
  /** Why each failed, cancelled or blocked child stopped: the root cause its dependents are blocked with. */
  private readonly stopped = new Map<string, ChildBlock['rootCause']>();
  private readonly commits = new Map<string, string>();
  private readonly sessions = new Map<string, Session>();
  private readonly limit: number;
  private readonly windowed: boolean;
  private interrupted = false;

  /** @param children in input order (their order is the tie-break). */
  private readonly children: T[];

  constructor(children: readonly T[], options: GraphSchedulerOptions = {}) {
    this.children = [...children];
    this.states = new Map(children.map((child) => [child.taskId, 'queued']));
    this.limit = options.maxConcurrentTasks ?? Infinity;
    this.windowed = options.sessionWindow ?? true;
  }

  /** The graph's aggregate state (see {@link aggregateGraphState}). */
  get state(): GraphState {
    return aggregateGraphState([...this.states.values()]);
  }

  /** Whether every child has ended. */
  get finished(): boolean {
    return this.children.every((child) => isTerminalState(this.states.get(child.taskId)!));
  }

  /** Whether the graph is interrupted: it releases nothing until resumed. */
  get paused(): boolean {
    return this.interrupted;
  }

  /** Whether any child has been released. */
  get anyReleased(): boolean {
    return this.released.size > 0;
  }

  /**
   * Children added while the graph runs (subtasks): queued, ready once their prerequisites
   * completed, after the others in input order. Returns those blocked at once: a prerequisite of
   * theirs has already failed, or is blocked.
   */
  add(children: readonly T[]): ChildBlock[] {
    const blocks: ChildBlock[] = [];
    for (const child of children) {
      this.children.push(child);
      this.states.set(child.taskId, 'queued');
      const stopped = child.dependencyTaskIds.filter((id) => this.blocked.has(id) || this.stopped.has(id));
      const rootCause = stopped.map((id) => this.stopped.get(id)).find((cause) => cause !== undefined);
      if (stopped.length === 0 || rootCause === undefined) continue;
      this.blocked.add(child.taskId);
      this.stopped.set(child.taskId, rootCause);
      blocks.push({ taskId: child.taskId, blockedByTaskIds: stopped, rootCause });
    }
    return blocks;
  }

  /** Whether `taskId` is one of the graph's children. */
  has(taskId: string): boolean {
    return this.states.has(taskId);
  }

  isReleased(taskId: string): boolean {
    return this.released.has(taskId);
  }

  stateOf(taskId: string): TaskState {
    return this.states.get(taskId)!;
  }

  isBlocked(taskId: string): boolean {
    return this.blocked.has(taskId);
  }

  /** The children that have not ended, in input order. */
  liveChildren(): string[] {
    return this.children.map((child) => child.taskId).filter((id) => !isTerminalState(this.states.get(id)!));
  }

  /** The children that may run and are not released yet: higher priority first, then input order. */
  readyChildren(): T[] {
    return this.children
      .map((child, index) => ({ child, index }))
      .filter(({ child }) => this.isReady(child))
      .sort((a, b) => b.child.priority - a.child.priority || a.index - b.index)
      .map(({ child }) => child);
  }

  /** Releases what may run now: ready children in order, within the limit and the session window. */
  release(): ChildRelease[] {
    if (this.interrupted) return [];
    let room = this.limit === Infinity ? Infinity : this.limit - this.runningCount();
    let window = this.windowLeft();
    const reportsSessions = window !== Infinity;
    const releases: ChildRelease[] = [];
    for (const child of this.readyChildren()) {
      if (room <= 0 || window <= 0) break;
      room--;
      window--;
      this.released.add(child.taskId);
      this.states.set(child.taskId, 'running');
      releases.push({
        taskId: child.taskId,
        prerequisites: child.dependencyTaskIds.map((id) => ({ taskId: id, commitSha: this.commits.get(id)! })),
        reportsSessions,
      });
    }
    return releases;
  }

  childCompleted(taskId: string, commitSha: string): void {
    this.end(taskId, 'completed');
    this.commits.set(taskId, commitSha);
  }

  /** A child failed or was cancelled; returns its dependents not released yet, each now blocked. */
  childFailed(taskId: string, state: 'failed' | 'cancelled', cause: { code: ErrorCode; message: string }): ChildBlock[] {
    this.end(taskId, state);
    const rootCause = { taskId, ...cause };
    this.stopped.set(taskId, rootCause);
    const blocks: ChildBlock[] = [];
    for (const dependent of this.dependentsOf(taskId)) {
      if (this.released.has(dependent.taskId) || this.blocked.has(dependent.taskId)) continue;
      this.blocked.add(dependent.taskId);
      this.stopped.set(dependent.taskId, rootCause);
      const blockedByTaskIds = dependent.dependencyTaskIds.filter((id) => id === taskId || this.blocked.has(id));
      blocks.push({ taskId: dependent.taskId, blockedByTaskIds, rootCause });
    }
    return blocks;
  }

  /**
   * A child says it holds a slot again (`running`) or no longer (`awaiting_approval`,
   * `interrupted`, `queued`). One that stops running has no session either: when it runs again,
   * it waits for a slot anew.
   */
  childStateChanged(taskId: string, state: TaskState): void {
    const current = this.states.get(taskId);
    if (current === undefined || isTerminalState(current) || isTerminalState(state)) return;
    this.states.set(taskId, state);
    if (state !== 'running') this.sessions.delete(taskId);
  }

  /** A released child's turn has a session slot (a retried or later turn takes one again). */
  sessionStarted(taskId: string): void {
    this.setSession(taskId, 'started');
  }

  /** A released child's turn is giving its session slot up. */
  sessionEnded(taskId: string): void {
    this.setSession(taskId, 'ended');
  }

  /** Stops releasing children (the graph is interrupted). */
  pause(): void {
    this.interrupted = true;
  }

  /** Releases children again; returns the interrupted children, which are to be resumed. */
  resume(): string[] {
    this.interrupted = false;
    const interrupted = this.liveChildren().filter((id) => this.states.get(id) === 'interrupted');
    // One interrupted before its release waits for it again; a released one says when it runs.
    for (const id of interrupted) if (!this.released.has(id)) this.states.set(id, 'queued');
    return interrupted;
  }

  private isReady(child: ScheduledChild): boolean {
    const id = child.taskId;
    if (this.states.get(id) !== 'queued' || this.released.has(id) || this.blocked.has(id)) return false;
    return child.dependencyTaskIds.every((dependency) => this.states.get(dependency) === 'completed');
  }

  private end(taskId: string, state: TaskState): void {
    this.states.set(taskId, state);
    this.sessions.delete(taskId);
  }

  private runningCount(): number {
    return [...this.released].filter((id) => this.states.get(id) === 'running').length;
  }

  private setSession(taskId: string, session: Session): void {
    if (!this.windowed || !this.released.has(taskId) || this.states.get(taskId) !== 'running') return;
    this.sessions.set(taskId, session);
  }

  /** Whether a child with prerequisites could still be overtaken: not released yet, or released and waiting for a slot. */
  private mayBeOvertaken(): boolean {
    return this.children.some(({ taskId, dependencyTaskIds }) => {
      if (dependencyTaskIds.length === 0 || this.blocked.has(taskId)) return false;
      const state = this.states.get(taskId);
      return this.released.has(taskId) ? state === 'running' && !this.sessions.has(taskId) : state === 'queued';
    });
  }

  /** How many more released children may wait for a session slot; Infinity while nothing can be overtaken. */
  private windowLeft(): number {
    if (!this.windowed || !this.mayBeOvertaken()) return Infinity;
    const running = [...this.released].filter((id) => this.states.get(id) === 'running').map((id) => this.sessions.get(id));
    if (running.includes('ended')) return 0;
    const inSession = running.filter((session) => session === 'started').length;
    return sessionWindowSize(inSession) - (running.length - inSession);
  }

  /** Every child that depends on `taskId`, directly or through others, in input order. */
  private dependentsOf(taskId: string): T[] {
    const reached = new Set<string>([taskId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const child of this.children) {
        if (!reached.has(child.taskId) && child.dependencyTaskIds.some((id) => reached.has(id))) {
          reached.add(child.taskId);
          grew = true;
        }
      }
    }
    return this.children.filter((child) => child.taskId !== taskId && reached.has(child.taskId));
  }
}
