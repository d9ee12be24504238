import {
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  startChild,
  type ChildWorkflowHandle,
  type SignalDefinition,
} from '@temporalio/workflow';
import { ErrorCode } from '../contracts/errors';
import { taskRecordOf, toTaskFailure } from '../contracts/failures';
import type { ValidGraphChild, ValidTaskGraphWorkflowInput } from '../contracts/graph';
import { taskWorkflowId } from '../contracts/ids';
import { repoRefOf, repositoryOf } from '../contracts/repository';
import { initialSearchAttributes } from '../contracts/search-attributes';
import type { GraphRelease, TaskWorkflowInput } from '../contracts/task';
import { STATUS_MEMO_KEY, statusMemo, taskDetails } from '../contracts/web-ui';
import type { ChildOutcome } from './graph-outcome';
import { truncate } from './graph-outcome';
import type { ChildBlock, ChildRelease } from './graph-scheduler';
import { graphBlockSignal, graphReleaseSignal } from './messages';
import type { taskWorkflow } from './task-workflow';

type ChildHandle = ChildWorkflowHandle<typeof taskWorkflow>;

/** Children read `.codex-runner.yaml` at the graph's base, not at a prerequisite's commit (whose agent could have edited it). */
const CONFIG_AT_GRAPH_BASE_PATCH = 'config-at-graph-base';

/** Children start with Web UI details (id, graph, prerequisites, prompt) and a status memo, as tasks the client starts do. */
const CHILD_DETAILS_PATCH = 'child-details';

/**
 * A graph's children as child workflows: starting them, telling them what the scheduler decided,
 * passing the operator's messages on, and collecting how they ended. Children are started with
 * parent close policy ABANDON, so they survive the parent's continue-as-new and are never
 * terminated with it; everything the graph does to them is an explicit message.
 */
export class GraphChildren {
  private readonly outcomes: ChildOutcome[] = [];
  /** Each child whose start was asked for: its handle once the start is recorded. */
  private readonly starts = new Map<string, Promise<ChildHandle>>();
  /** Signals on their way; a child that has ended meanwhile takes none, and needs none. */
  private readonly signals: Promise<void>[] = [];
  /** The commit a child without prerequisites starts from: set when the children are started. */
  private baseSha = '';

  private readonly toRun: ValidGraphChild[];

  /** @param toRun the children this run starts (a retried graph's completed ones are not run again). */
  constructor(
    private readonly input: ValidTaskGraphWorkflowInput,
    toRun: readonly ValidGraphChild[],
  ) {
    this.toRun = [...toRun];
  }

  /** Starts children added while the graph runs (subtasks), queued: the scheduler releases them when they are ready. */
  add(children: readonly ValidGraphChild[]): void {
    for (const child of children) {
      this.toRun.push(child);
      const start = this.start(child, undefined);
      start.catch(() => undefined); // its failure is the child's outcome
      this.starts.set(child.taskId, start);
    }
  }

  /** Whether outcomes have arrived that {@link takeOutcomes} has not returned yet. */
  get hasOutcomes(): boolean {
    return this.outcomes.length > 0;
  }

  takeOutcomes(): ChildOutcome[] {
    return this.outcomes.splice(0);
  }

  /**
   * Starts every child, in `waves` (see startWaves), from `baseSha` unless it has prerequisites; each wave once the previous one's starts are
   * recorded; a child in `released` starts released (its input carries the release, so it needs
   * no signal). Returns at once: a child's outcome arrives through {@link takeOutcomes}, also when
   * it could not be started.
   */
  startAll(baseSha: string, waves: readonly ValidGraphChild[][], released: readonly ChildRelease[]): void {
    this.baseSha = baseSha;
    const releases = new Map(released.map((release) => [release.taskId, this.gateOf(release)]));
    let previous: Promise<unknown> = Promise.resolve();
    for (const [index, wave] of waves.entries()) {
      const starts = wave.map((child) => {
        // A wave after the first stands in for its starts until they are made, so a signal meanwhile waits for it.
        const start = index === 0 ? this.start(child, releases.get(child.taskId)) : previous.then(() => this.start(child, releases.get(child.taskId)));
        start.catch(() => undefined); // its failure is the child's outcome
        this.starts.set(child.taskId, start);
        return start;
      });
      previous = Promise.allSettled(starts);
    }
  }

  release(release: ChildRelease): void {
    this.signal(release.taskId, graphReleaseSignal, this.gateOf(release));
  }

  block({ taskId, blockedByTaskIds, rootCause }: ChildBlock): void {
    this.signal(taskId, graphBlockSignal, { blockedByTaskIds, rootCause });
  }

  /** Sends `signal` to each of `taskIds` (once its start is recorded) and waits until they are sent. */
  async forward<A extends unknown[]>(taskIds: readonly string[], signal: SignalDefinition<A>, ...args: A): Promise<void> {
    await Promise.all(taskIds.map((taskId) => this.send(taskId, signal, ...args)));
  }

  /** Cancels each of `taskIds` that was started; one whose start the cancellation stopped made no child. */
  async cancel(taskIds: readonly string[]): Promise<void> {
    await Promise.all(
      taskIds.map(async (taskId) => {
        if (await this.handleOf(taskId))
          await getExternalWorkflowHandle(taskWorkflowId(taskId))
            .cancel()
            .catch(() => undefined);
      }),
    );
  }

  /** Waits until every signal sent so far has been delivered (or found its child ended). */
  async settled(): Promise<void> {
    await Promise.all(this.signals);
  }

  /** Ends the children whose start was never asked for with `error` (the graph's cancellation): they never will be. */
  endUnstarted(error: unknown): void {
    for (const { taskId } of this.toRun) if (!this.starts.has(taskId)) this.outcomes.push(outcomeOf(taskId, error));
  }

  private start(child: ValidGraphChild, release: GraphRelease | undefined): Promise<ChildHandle> {
    const { parent } = this.input;
    const started = startChild<typeof taskWorkflow>('taskWorkflow', {
      workflowId: taskWorkflowId(child.taskId),
      args: [this.childInput(child, release)],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: initialSearchAttributes({ repoPath: repositoryOf(parent), priority: child.priority, parentTaskId: parent.taskId }),
      staticSummary: truncate(`${child.taskId} · part of ${parent.taskId} · ${child.prompt.replace(/\s+/g, ' ')}`, 190),
      ...(patched(CHILD_DETAILS_PATCH)
        ? {
            staticDetails: taskDetails({ ...child, repoPath: repositoryOf(parent), parentTaskId: parent.taskId }),
            memo: { [STATUS_MEMO_KEY]: statusMemo('queued', undefined) },
          }
        : {}),
    });
    void started
      .then((handle) => handle.result())
      .then(
        (record) => this.outcomes.push({ taskId: child.taskId, state: record.state as ChildOutcome['state'], record }),
        (error: unknown) => this.outcomes.push(outcomeOf(child.taskId, error)),
      );
    return started;
  }

  private childInput(child: ValidGraphChild, release: GraphRelease | undefined): TaskWorkflowInput {
    const { parent, requireApproval: graphApproval, approvalTimeout } = this.input;
    const codex = parent.codex || child.codex ? { ...parent.codex, ...child.codex } : undefined;
    const requireApproval = child.requireApproval ?? graphApproval;
    const contextPackage = child.contextPackage ?? parent.contextPackage;
    const checks = parent.checks || child.checks ? { ...parent.checks, ...child.checks } : undefined;
    const retryOf = this.input.retryOf?.children[child.taskId];
    return {
      taskId: child.taskId,
      ...repoRefOf(parent),
      prompt: child.prompt,
      priority: child.priority,
      parentTaskId: parent.taskId,
      goal: parent.prompt,
      dependencyTaskIds: child.dependencyTaskIds,
      ...(codex ? { codex } : {}),
      ...(requireApproval ? { requireApproval } : {}),
      ...(contextPackage ? { contextPackage } : {}),
      ...(checks ? { checks } : {}),
      ...(retryOf ? { retryOf } : {}),
      ...(requireApproval && approvalTimeout ? { approvalTimeout } : {}),
      ...(release ? { release } : {}),
    };
  }

  /** Where a released child's branch starts: its first prerequisite's commit, with the others merged in; the graph's base without any. */
  private gateOf({ prerequisites, reportsSessions }: ChildRelease): GraphRelease {
    const [first, ...rest] = prerequisites;
    return {
      baseSha: first?.commitSha ?? this.baseSha,
      mergeShas: rest.map((prerequisite) => prerequisite.commitSha),
      satisfied: prerequisites,
      ...(reportsSessions ? { reportsSessions: true as const } : {}),
      ...(patched(CONFIG_AT_GRAPH_BASE_PATCH) ? { configSha: this.baseSha } : {}),
    };
  }

  /** Sends without waiting (a graph with hundreds of children must not wait on each); {@link settled} waits. */
  private signal<A extends unknown[]>(taskId: string, signal: SignalDefinition<A>, ...args: A): void {
    this.signals.push(this.send(taskId, signal, ...args));
  }

  private async send<A extends unknown[]>(taskId: string, signal: SignalDefinition<A>, ...args: A): Promise<void> {
    await (await this.handleOf(taskId))?.signal(signal, ...args).catch(() => undefined);
  }

  private async handleOf(taskId: string): Promise<ChildHandle | undefined> {
    return this.starts.get(taskId)?.catch(() => undefined);
  }
}

/** How a child ended that threw: cancelled, or failed with the record its workflow attached. */
function outcomeOf(taskId: string, error: unknown): ChildOutcome {
  if (isCancellation(error)) return { taskId, state: 'cancelled', failure: { code: ErrorCode.cancelled, message: `Task ${taskId} was cancelled` } };
  const record = taskRecordOf(error);
  const failure = toTaskFailure(error);
  return { taskId, state: record?.state === 'cancelled' ? 'cancelled' : 'failed', ...(record ? { record } : {}), failure };
}
