/**
 * Which task runs next, for the baseline's script and the floor's parent workflow alike: ready
 * tasks in input order (the bench's tasks all have priority 0), as a graph's parent picks them
 * and the reference system does; a dependent becomes ready once its prerequisite has committed,
 * and starts from that commit. Pure, so the floor's workflow code can use it too.
 */
export interface QueuedTask {
  taskId: string;
  /** One prerequisite at most: the bench's graphs are chains and independent tasks. */
  dependencyTaskIds: string[];
}

export class ReadyQueue<T extends QueuedTask> {
  private readonly ready: T[];
  private readonly waiting: T[];
  private readonly inputOrder: Map<string, number>;
  private readonly commits = new Map<string, string>();

  /** `tasks` in input order; those without prerequisites start from `baseSha`. */
  constructor(
    private readonly tasks: readonly T[],
    private readonly baseSha: string,
  ) {
    ReadyQueue.check(tasks);
    this.inputOrder = new Map(tasks.map((task, index) => [task.taskId, index]));
    this.ready = tasks.filter((task) => task.dependencyTaskIds.length === 0);
    this.waiting = tasks.filter((task) => task.dependencyTaskIds.length > 0);
  }

  /** Throws for a graph the queue cannot run: a task with more than one prerequisite. */
  static check(tasks: readonly QueuedTask[]): void {
    if (tasks.some((task) => task.dependencyTaskIds.length > 1)) throw new Error('the bench handles one prerequisite per task');
  }

  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  get allDone(): boolean {
    return this.commits.size === this.tasks.length;
  }

  /** The next ready task and the commit it starts from. */
  take(): { task: T; base: string } | undefined {
    const task = this.ready.shift();
    if (!task) return undefined;
    const prerequisite = task.dependencyTaskIds[0];
    return { task, base: prerequisite === undefined ? this.baseSha : this.commits.get(prerequisite)! };
  }

  /** Records a task's commit; its dependents join the ready tasks in input order. */
  done(taskId: string, commitSha: string): void {
    this.commits.set(taskId, commitSha);
    const nowReady = this.waiting.filter((dependent) => dependent.dependencyTaskIds.every((id) => this.commits.has(id)));
    for (const dependent of nowReady) this.waiting.splice(this.waiting.indexOf(dependent), 1);
    this.ready.push(...nowReady);
    this.ready.sort((a, b) => this.inputOrder.get(a.taskId)! - this.inputOrder.get(b.taskId)!);
  }
}
