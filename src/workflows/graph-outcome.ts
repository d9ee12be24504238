import { ErrorCode, type TaskFailure } from '../contracts/errors';
import type { GraphConflict, GraphSynthesis, ResultClassification, TaskRecord, WorkerResult } from '../contracts/records';
import type { TaskState } from '../contracts/task';

/**
 * What a graph makes of its children's ends, with no Temporal in it: each child's worker result,
 * the graph's synthesis, and why the graph failed.
 */

/** How one child ended, as its parent learns it. */
export interface ChildOutcome {
  taskId: string;
  state: Extract<TaskState, 'completed' | 'failed' | 'cancelled'>;
  /** The child's task record; absent when its workflow ended without one (it could not be started). */
  record?: TaskRecord;
  failure?: TaskFailure;
}

/** The graph branch as the merges left it. */
export interface MergedBranch {
  branchName: string;
  commitSha: string;
  conflicts: GraphConflict[];
}

const SUMMARY_MAX_CHARS = 2_000;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A finished child's contribution: completed, conflicted (its prerequisites' work conflicts) or failed. */
export function workerResult(parentTaskId: string, outcome: ChildOutcome): WorkerResult {
  const { record, failure } = outcome;
  const completed = outcome.state === 'completed';
  const classification: ResultClassification = completed ? 'completed' : failure?.code === ErrorCode.graphMergeConflict ? 'conflicted' : 'failed';
  const summary = completed ? record?.finalMessage || `Task ${outcome.taskId} completed.` : (failure?.message ?? `Task ${outcome.taskId} did not complete.`);
  return {
    resultId: `result-${outcome.taskId}`,
    taskId: outcome.taskId,
    parentTaskId,
    classification,
    summary: truncate(summary, SUMMARY_MAX_CHARS),
    filesChanged: record?.filesChanged ?? [],
    ...(record?.commitSha && completed ? { commitSha: record.commitSha } : {}),
    ...(record?.usage ? { usage: record.usage } : {}),
    ...(failure ? { errorCode: failure.code } : {}),
    ...(record?.verification ? { verification: record.verification.status } : {}),
  };
}

const describeConflicts = (conflicts: GraphConflict[]) => conflicts.map((conflict) => `${conflict.taskId} (${conflict.files.join(', ')})`).join('; ');

/** The graph's one final outcome. Classification precedence of the reference: failed, then conflicted, then partial, then completed. */
export function synthesize(parentTaskId: string, results: WorkerResult[], branch: MergedBranch | undefined, mergeFailure?: TaskFailure): GraphSynthesis {
  const count = (classification: ResultClassification) => results.filter((result) => result.classification === classification).length;
  const conflicts = branch?.conflicts ?? [];
  const classification: ResultClassification =
    count('failed') > 0 || mergeFailure
      ? 'failed'
      : count('conflicted') > 0 || conflicts.length > 0
        ? 'conflicted'
        : count('partial') > 0
          ? 'partial'
          : 'completed';
  const counts = `completed=${count('completed')} partial=${count('partial')} conflicted=${count('conflicted')} failed=${count('failed')}`;
  const lines = [
    `Synthesized ${results.length} child task result${results.length === 1 ? '' : 's'} as ${classification}. ${counts}`,
    ...results
      .filter((result) => result.classification !== 'completed')
      .map((result) => `${result.taskId} ${result.classification}: ${result.errorCode ?? ''} ${truncate(result.summary, 300)}`.replace('  ', ' ')),
    ...conflicts.map((conflict) => `${conflict.taskId} could not be merged into the graph branch: conflicts in ${conflict.files.join(', ')}`),
    ...(mergeFailure ? [`${mergeFailure.code}: ${mergeFailure.message}`] : []),
  ];
  if (branch) lines.push(`Graph branch ${branch.branchName} at ${branch.commitSha}.`);
  return {
    synthesisId: `synthesis-${parentTaskId}`,
    parentTaskId,
    classification,
    summary: lines.join('\n'),
    childTaskCount: results.length,
    resultIds: results.map((result) => result.resultId),
    ...(branch ? { branchName: branch.branchName, commitSha: branch.commitSha } : {}),
    conflicts,
  };
}

/**
 * Why the graph failed, or undefined when it completed: a child that did not complete (naming
 * the ones that failed on their own, not those blocked by them), else a graph branch that could
 * not be written, else children whose work conflicts on the graph branch.
 */
export function graphFailure(results: WorkerResult[], branch: MergedBranch | undefined, mergeFailure: TaskFailure | undefined): TaskFailure | undefined {
  const failed = results.filter((result) => result.classification !== 'completed');
  if (failed.length > 0) {
    const causes = failed
      .filter((result) => result.errorCode !== ErrorCode.graphDependencyFailed)
      .map((result) => `${result.taskId} ${result.errorCode ?? ErrorCode.taskFailed}: ${truncate(result.summary, 200)}`);
    return {
      code: ErrorCode.graphChildFailed,
      message: `Graph failed because ${failed.length === 1 ? 'child task' : 'child tasks'} ${failed.map((result) => result.taskId).join(', ')} did not complete: ${causes.join('; ')}`,
    };
  }
  if (mergeFailure) return mergeFailure;
  const conflicts = branch?.conflicts ?? [];
  if (conflicts.length > 0)
    return { code: ErrorCode.graphMergeConflict, message: `Graph failed because children conflict when merged: ${describeConflicts(conflicts)}` };
  return undefined;
}

/** The `task.graph.merged` message: how many completed children made it onto the branch, and which conflicted. */
export function describeMerge(branch: MergedBranch & { mergedTaskIds: string[] }, completed: number): string {
  const conflicts = branch.conflicts.length > 0 ? `; conflicts: ${describeConflicts(branch.conflicts)}` : '';
  return `Merged ${branch.mergedTaskIds.length} of ${completed} completed children into ${branch.branchName}${conflicts}`;
}
