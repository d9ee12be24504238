import { proxyActivities } from '@temporalio/workflow';
import type { Activities, GraphBranch } from '../activities';
import type { RepoRef } from '../contracts/repository';
import { MIRROR_STEP_TIMEOUT } from './host-steps';

// Merges happen in the object database with fixed dates, so a retry makes the same commits. The
// activity heartbeats: when its worker dies, another retries it once the heartbeat times out,
// not after the start-to-close timeout (long enough for a first clone into a host's mirror).
const { mergeGraphBranch } = proxyActivities<Activities>({
  startToCloseTimeout: MIRROR_STEP_TIMEOUT,
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/**
 * The graph branch `plato/graph-<parentId>`, merged while the graph runs: `add` queues a
 * completed child's commit, and one merge activity at a time takes everything queued so far onto
 * the branch's current head. Children complete after their prerequisites, so this is a
 * dependency order.
 */
export class GraphMerge {
  private readonly queued: { taskId: string; commitSha: string }[] = [];
  private readonly branch: GraphBranch;
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: Error | undefined;
  private added = 0;

  constructor(
    private readonly parentTaskId: string,
    private readonly repo: RepoRef,
  ) {
    this.branch = { branchName: '', commitSha: '', mergedTaskIds: [], conflicts: [] };
  }

  /** The commit the branch starts from: the graph's base. */
  startFrom(baseSha: string): void {
    this.branch.commitSha = baseSha;
  }

  /** A retried graph's branch as its earlier run left it, with `taskIds` merged. */
  continueFrom(branch: { branchName: string; commitSha: string }, taskIds: string[]): void {
    this.branch.branchName = branch.branchName;
    this.branch.commitSha = branch.commitSha;
    this.branch.mergedTaskIds.push(...taskIds);
    this.added += taskIds.length;
  }

  /** How many completed children were queued. */
  get size(): number {
    return this.added;
  }

  add(taskId: string, commitSha: string): void {
    this.queued.push({ taskId, commitSha });
    this.added++;
    this.drain();
  }

  /** Waits for the merges queued so far; throws the first merge activity's failure (after its retries). */
  async finished(): Promise<GraphBranch> {
    await this.running;
    if (this.failure !== undefined) throw this.failure;
    return this.branch;
  }

  private drain(): void {
    if (this.scheduled || this.queued.length === 0) return;
    this.scheduled = true;
    this.running = this.running.then(async () => {
      this.scheduled = false;
      const commits = this.queued.splice(0);
      if (commits.length === 0 || this.failure !== undefined) return;
      try {
        const merged = await mergeGraphBranch({
          ...this.repo,
          parentTaskId: this.parentTaskId,
          baseSha: this.branch.commitSha,
          commits,
          date: new Date().toISOString(),
        });
        this.branch.branchName = merged.branchName;
        this.branch.commitSha = merged.commitSha;
        this.branch.mergedTaskIds.push(...merged.mergedTaskIds);
        this.branch.conflicts.push(...merged.conflicts);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
      this.drain();
    });
  }
}
