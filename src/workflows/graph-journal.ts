import { ErrorCode, type TaskFailure } from '../contracts/errors';
import type { ValidGraphChild, ValidTaskGraphWorkflowInput } from '../contracts/graph';
import type { GraphRecord, GraphSynthesis, WorkerResult } from '../contracts/records';
import { describeChildren } from './graph-details';
import { describeMerge, truncate, workerResult, type ChildOutcome, type MergedBranch } from './graph-outcome';
import type { GraphScheduler } from './graph-scheduler';
import { TaskJournal } from './task-journal';

/**
 * A graph parent's journal: the parent's task record with its `graph` part, and the graph's
 * events (`task.graph.*`), each recorded the way the reference system names it.
 */
export class GraphJournal extends TaskJournal {
  readonly graph: GraphRecord;
  private readonly parentTaskId: string;

  constructor(input: ValidTaskGraphWorkflowInput) {
    super(input.parent);
    this.parentTaskId = input.parent.taskId;
    this.graph = {
      children: input.children.map(({ taskId, prompt, priority, dependencyTaskIds }) => ({ taskId, prompt, priority, dependencyTaskIds })),
      ...(input.maxConcurrentTasks ? { maxConcurrentTasks: input.maxConcurrentTasks } : {}),
      results: [],
    };
    this.update({ graph: this.graph });
    const count = input.children.length;
    this.emit('task.graph.created', { graphState: 'queued', message: `Created task graph with ${count} child task${count === 1 ? '' : 's'}` });
    this.emit('task.queued');
  }

  /** The graph runs once its first child is released. */
  childrenReleased(count: number): void {
    if (count === 0 || this.record.state !== 'queued') return;
    this.setState('running');
    this.emit('task.started');
  }

  /** A child's end: its worker result, and the graph's state after it. */
  childEnded(outcome: ChildOutcome, scheduler: GraphScheduler): void {
    const result = workerResult(this.parentTaskId, outcome);
    this.graph.results.push(result);
    const ids = { parentTaskId: this.parentTaskId, childTaskId: outcome.taskId };
    this.emit('task.graph.result.collected', {
      ...ids,
      resultId: result.resultId,
      resultClassification: result.classification,
      errorCode: result.errorCode,
      message: truncate(result.summary, 500),
    });
    this.emit(outcome.state === 'completed' ? 'task.graph.child.completed' : 'task.graph.child.failed', { ...ids, graphState: scheduler.state });
  }

  /** Children added while the graph runs. */
  subtasksAdded(children: readonly ValidGraphChild[]): void {
    this.graph.children.push(...children.map(({ taskId, prompt, priority, dependencyTaskIds }) => ({ taskId, prompt, priority, dependencyTaskIds })));
    this.emit('task.graph.subtasks.added', {
      parentTaskId: this.parentTaskId,
      message: `Added ${children.map((child) => (child.dependencyTaskIds.length ? `${child.taskId} (after ${child.dependencyTaskIds.join(', ')})` : child.taskId)).join(', ')}`,
    });
    this.update({});
  }

  /** A retried graph's completed children, carried over from its earlier run. */
  carriedOver(runId: string, results: WorkerResult[], scheduler: GraphScheduler): void {
    this.graph.results.push(...results);
    for (const result of results) {
      this.emit('task.graph.child.completed', {
        parentTaskId: this.parentTaskId,
        childTaskId: result.taskId,
        commitSha: result.commitSha,
        graphState: scheduler.state,
        message: `Carried over from run ${runId}: not run again`,
      });
    }
  }

  /** The Web UI's current details list every child with its state. */
  showChildren(scheduler: GraphScheduler): void {
    this.setDetails(describeChildren(this.graph.children, scheduler, this.graph.results));
  }

  merged(branch: MergedBranch & { mergedTaskIds: string[] }, completed: number): void {
    this.update({ branchName: branch.branchName, commitSha: branch.commitSha });
    this.emit('task.graph.merged', {
      parentTaskId: this.parentTaskId,
      branchName: branch.branchName,
      commitSha: branch.commitSha,
      message: describeMerge(branch, completed),
    });
  }

  synthesized(synthesis: GraphSynthesis): void {
    this.graph.synthesis = synthesis;
    this.emit('task.graph.synthesized', {
      parentTaskId: this.parentTaskId,
      synthesisId: synthesis.synthesisId,
      resultClassification: synthesis.classification,
      message: truncate(synthesis.summary, 2_000),
    });
  }

  completed(): void {
    this.emit('task.graph.completed', { parentTaskId: this.parentTaskId, graphState: 'completed' });
    this.setState('completed');
    this.emit('task.completed', { branchName: this.record.branchName, commitSha: this.record.commitSha });
  }

  failed(failure: TaskFailure): void {
    this.emit('task.graph.failed', { parentTaskId: this.parentTaskId, graphState: 'failed', errorCode: failure.code, message: failure.message });
    this.update({ failure });
    this.setState('failed');
    this.emit('task.failed', { errorCode: failure.code, message: failure.message });
  }

  /** A cancelled graph ends with one `task.graph.failed` (`TASK_CANCELLED`) and state `cancelled`. */
  cancelled(): void {
    this.emit('task.graph.failed', {
      parentTaskId: this.parentTaskId,
      graphState: 'failed',
      errorCode: ErrorCode.cancelled,
      message: 'The graph was cancelled',
    });
    this.update({ failure: { code: ErrorCode.cancelled, message: `Task graph ${this.parentTaskId} was cancelled` } });
    this.setState('cancelled');
    this.emit('task.cancelled');
  }
}
