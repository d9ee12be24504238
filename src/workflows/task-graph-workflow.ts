import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorCode, type TaskFailure } from '../contracts/errors';
import { failureCause } from '../contracts/failures';
import {
  TaskGraphWorkflowInputSchema,
  findGraphProblem,
  type TaskGraphWorkflowInput,
  type ValidGraphChild,
  type ValidTaskGraphWorkflowInput,
} from '../contracts/graph';
import { graphBranchName, taskWorkflowId } from '../contracts/ids';
import { ChildStateChangeSchema, GraphSessionChangeSchema, InterruptRequestSchema, ResumeRequestSchema } from '../contracts/messages';
import type { TaskRecord, WorkerResult } from '../contracts/records';
import { repoRefOf } from '../contracts/repository';
import { isTerminalState } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import { GraphChildren } from './graph-children';
import { GraphJournal } from './graph-journal';
import { GraphMerge } from './graph-merge';
import { MIRROR_STEP_TIMEOUT } from './host-steps';
import { graphFailure, synthesize, type ChildOutcome, type MergedBranch } from './graph-outcome';
import { GraphScheduler } from './graph-scheduler';
import { GraphSubtasks } from './graph-subtasks';
import { ignoreSignal, onSignal } from './guarded-handlers';
import { childStateSignal, eventsQuery, graphSessionSignal, interruptSignal, resumeSignal, taskQuery } from './messages';
import { startWaves } from './start-waves';

// One `git rev-parse` (after a fetch, or a first clone, of a repository named by its URL), and
// one look at whether the children's ids are free: idempotent, so local activities, recorded as
// markers in the workflow task that starts the children.
const { resolveGraphBase, findTakenTaskIds } = proxyLocalActivities<Activities>({
  startToCloseTimeout: MIRROR_STEP_TIMEOUT,
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/**
 * Patch: a graph checks that its children's ids are free before it starts any (a graph started
 * with the plain `temporal` CLI is not checked by the client). Graphs started before it have no
 * such marker and replay without the check.
 */
const CHILD_IDS_CHECKED = 'child-ids-checked';

/**
 * A task graph: the parent task's workflow. Every child is a child workflow (`taskWorkflow`),
 * created at once so queued children can be listed and queried, and released when the
 * {@link GraphScheduler} says so. Completed children are merged into `plato/graph-<parentId>` as
 * they complete. When every child has ended, the parent records a synthesis, emits exactly one
 * `task.graph.completed` or `task.graph.failed`, and ends the same way.
 */
export async function taskGraphWorkflow(rawInput: TaskGraphWorkflowInput): Promise<TaskRecord> {
  const input = validGraphInput(rawInput);
  const { parent } = input;
  const journal = new GraphJournal(input);
  const scheduler = new GraphScheduler(input.children, { maxConcurrentTasks: input.maxConcurrentTasks });
  const carried = new Set(input.retryOf?.carried.map((result) => result.taskId));
  const toRun = input.children.filter((child) => !carried.has(child.taskId));
  const children = new GraphChildren(input, toRun);
  const merge = new GraphMerge(parent.taskId, repoRefOf(parent));
  const messages = handleGraphMessages(journal, scheduler, children);
  const subtasks = new GraphSubtasks(input, { journal, scheduler, children });

  const collect = () => {
    for (const outcome of children.takeOutcomes()) childEnded(outcome, { journal, scheduler, children, merge });
  };
  const releaseReady = () => {
    const releases = scheduler.release();
    for (const release of releases) children.release(release);
    journal.childrenReleased(releases.length);
    journal.showChildren(scheduler);
  };
  try {
    if (patched(CHILD_IDS_CHECKED)) await refuseTakenChildIds(toRun, journal);
    const baseSha = input.retryOf?.baseSha ?? (await resolveGraphBase({ ...repoRefOf(parent), ...(parent.baseRef ? { baseRef: parent.baseRef } : {}) }));
    journal.graph.baseSha = baseSha;
    merge.startFrom(baseSha);
    if (input.retryOf) carryOver(input.retryOf, { journal, scheduler, merge });
    const ready = scheduler.readyChildren();
    const released = scheduler.release();
    children.startAll(baseSha, startWaves(toRun, ready), released);
    journal.childrenReleased(released.length);
    journal.showChildren(scheduler);
    while (!scheduler.finished || subtasks.waiting) {
      const heard = messages.count() + subtasks.count();
      await condition(() => children.hasOutcomes || messages.count() + subtasks.count() !== heard);
      collect();
      releaseReady();
    }
    subtasks.seal();
  } catch (error) {
    subtasks.seal();
    if (!isCancellation(error)) throw error;
    // Children outlive the parent (ABANDON): a graph's cancellation cancels each one that has not
    // ended, waits until they have, and ends the parent Canceled. A child not started by then never will be.
    await CancellationScope.nonCancellable(async () => {
      children.endUnstarted(error);
      collect();
      await children.cancel(scheduler.liveChildren());
      while (!scheduler.finished) {
        await condition(() => children.hasOutcomes);
        collect();
      }
      await children.settled();
    });
    journal.cancelled();
    throw error;
  }
  await children.settled();

  const { branch, mergeFailure } = await finishMerge(merge, journal, parent.taskId);
  journal.synthesized(synthesize(parent.taskId, journal.graph.results, branch, mergeFailure));
  const failure = graphFailure(journal.graph.results, branch, mergeFailure);
  journal.showChildren(scheduler);
  if (failure === undefined) {
    journal.completed();
    return journal.record;
  }
  journal.failed(failure);
  throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true, details: [journal.record] });
}

/**
 * The input, validated again, and the workflow bound to it: a graph started with the plain
 * `temporal` CLI with a bad input, or under another workflow id than `codex-task-<parentId>`,
 * fails here, before any child exists.
 */
function validGraphInput(rawInput: TaskGraphWorkflowInput): ValidTaskGraphWorkflowInput {
  const parsed = TaskGraphWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`Invalid task graph input: ${describeIssues(parsed.error)}`, ErrorCode.validation);
  const problem = findGraphProblem(parsed.data.parent, parsed.data.children, parsed.data);
  if (problem) throw ApplicationFailure.nonRetryable(problem, ErrorCode.validation);
  const { taskId } = parsed.data.parent;
  const { workflowId } = workflowInfo();
  if (workflowId !== taskWorkflowId(taskId)) {
    throw ApplicationFailure.nonRetryable(
      `workflowId: task graph ${taskId} runs as workflow ${taskWorkflowId(taskId)}, not ${workflowId}`,
      ErrorCode.validation,
    );
  }
  return parsed.data;
}

/** Fails the graph, before it starts any child, when a running or completed task has the id of a child it starts. */
async function refuseTakenChildIds(toRun: readonly ValidGraphChild[], journal: GraphJournal): Promise<void> {
  const taken = await findTakenTaskIds(toRun.map((child) => child.taskId));
  if (taken.length === 0) return;
  const which = taken.length === 1 ? `child ${taken[0]} already exists` : `children ${taken.join(', ')} already exist`;
  const failure = { code: ErrorCode.taskAlreadyExists, message: `Task graph ${which}: give ${taken.length === 1 ? 'it another id' : 'them other ids'}` };
  journal.failed(failure);
  throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true, details: [journal.record] });
}

/**
 * A retried graph's completed children are not run again: the scheduler counts them completed
 * (their dependents start from their commits), their results carry over, and the graph branch
 * continues from where the earlier run left it.
 */
function carryOver(
  retryOf: NonNullable<ValidTaskGraphWorkflowInput['retryOf']>,
  graph: { journal: GraphJournal; scheduler: GraphScheduler; merge: GraphMerge },
): void {
  for (const result of retryOf.carried) {
    graph.scheduler.childCompleted(result.taskId, result.commitSha);
  }
  graph.journal.carriedOver(retryOf.runId, retryOf.carried as WorkerResult[], graph.scheduler);
  if (retryOf.branch)
    graph.merge.continueFrom(
      retryOf.branch,
      retryOf.carried.map((result) => result.taskId),
    );
}

/**
 * A child's end: the scheduler learns it (a completed child's commit goes onto the graph branch;
 * a failed one blocks its dependents, who are told), and the journal records its result.
 */
function childEnded(outcome: ChildOutcome, graph: { journal: GraphJournal; scheduler: GraphScheduler; children: GraphChildren; merge: GraphMerge }): void {
  const { taskId, state, record, failure } = outcome;
  if (state === 'completed' && record?.commitSha) {
    graph.scheduler.childCompleted(taskId, record.commitSha);
    graph.merge.add(taskId, record.commitSha);
  } else {
    const cause = failure ?? { code: ErrorCode.taskFailed, message: `Task ${taskId} did not complete` };
    for (const block of graph.scheduler.childFailed(taskId, state === 'cancelled' ? 'cancelled' : 'failed', cause)) graph.children.block(block);
  }
  graph.journal.childEnded(outcome, graph.scheduler);
}

/**
 * The messages a graph's parent takes: its children's slot changes and session reports (each a
 * reason to ask the scheduler again), and the operator's interrupt and resume, which the parent
 * passes on to every child that has not ended. Returns how many messages have changed anything.
 */
function handleGraphMessages(journal: GraphJournal, scheduler: GraphScheduler, children: GraphChildren): { count(): number } {
  let heard = 0;
  setHandler(taskQuery, () => journal.record);
  setHandler(eventsQuery, (afterSeq = 0) => journal.events.filter((event) => event.seq > afterSeq));
  onSignal(journal, childStateSignal, ChildStateChangeSchema, ({ taskId, state }) => {
    if (!scheduler.has(taskId)) return ignoreSignal(journal, childStateSignal.name, `${taskId} is not a child of this graph`);
    scheduler.childStateChanged(taskId, state);
    heard++;
  });
  onSignal(journal, graphSessionSignal, GraphSessionChangeSchema, ({ taskId, session }) => {
    if (!scheduler.isReleased(taskId)) return ignoreSignal(journal, graphSessionSignal.name, `${taskId} is not a child this graph has released`);
    if (session === 'started') scheduler.sessionStarted(taskId);
    else scheduler.sessionEnded(taskId);
    heard++;
  });
  onSignal(journal, interruptSignal, InterruptRequestSchema, async (request) => {
    if (scheduler.paused || isTerminalState(journal.record.state)) return;
    scheduler.pause();
    journal.setState('interrupted');
    journal.emit('task.interrupted', { message: request.reason });
    await children.forward(scheduler.liveChildren(), interruptSignal, request);
  });
  onSignal(journal, resumeSignal, ResumeRequestSchema, async (request) => {
    if (!scheduler.paused) return;
    const interrupted = scheduler.resume();
    journal.setState(scheduler.anyReleased ? 'running' : 'queued');
    journal.emit('task.resumed', { message: request.message });
    heard++;
    await children.forward(interrupted, resumeSignal, request);
  });
  return { count: () => heard };
}

/**
 * Waits for the last merges onto the graph branch. The merge activity failing for good (after its
 * retries: the repository gone, a ref locked) still ends the graph the documented way, with
 * `TASK_GRAPH_MERGE_FAILED`; a cancellation then leaves only the graph's own bookkeeping to do.
 */
async function finishMerge(merge: GraphMerge, journal: GraphJournal, parentTaskId: string): Promise<{ branch?: MergedBranch; mergeFailure?: TaskFailure }> {
  if (merge.size === 0) return {};
  try {
    const branch = await merge.finished();
    journal.merged(branch, merge.size);
    return { branch };
  } catch (error) {
    if (isCancellation(error)) {
      journal.cancelled();
      throw error;
    }
    const cause = failureCause(error);
    const why = cause instanceof Error ? cause.message : String(cause);
    return {
      mergeFailure: { code: ErrorCode.graphMergeFailed, message: `The completed children could not be merged into ${graphBranchName(parentTaskId)}: ${why}` },
    };
  }
}
