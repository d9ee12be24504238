import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorCode, type TaskFailure } from '../contracts/errors';
import {
  TaskGraphWorkflowInputSchema,
  aggregateGraphState,
  dependencyOrder,
  findGraphProblem,
  transitiveDependents,
  type GraphRecord,
  type GraphSynthesis,
  type ResultClassification,
  type TaskGraphWorkflowInput,
  type ValidGraphChild,
  type WorkerResult,
} from '../contracts/graph';
import { graphBranchName, taskWorkflowId } from '../contracts/ids';
import { CodexParentTaskId, CodexPriority, CodexRepoPath, CodexTaskState } from '../contracts/search-attributes';
import { isTerminalState, type TaskRecord, type TaskState, type TaskWorkflowInput } from '../contracts/task';
import { describeIssues } from '../contracts/validation';
import {
  childStateSignal,
  eventsQuery,
  graphBlockSignal,
  graphReleaseSignal,
  graphSessionSignal,
  interruptSignal,
  resumeSignal,
  taskQuery,
  type GraphRelease,
} from './messages';
import { TaskJournal } from './task-journal';
import type { taskWorkflow } from './task-workflow';

// Resolving the base and merging branches is quick, idempotent git work (merges happen in the
// object database with fixed dates, so a retry makes the same commits).
const graphGitOptions = { startToCloseTimeout: '5 minutes', retry: { initialInterval: '1 second', maximumAttempts: 5 } } as const;
const { resolveGraphBase } = proxyActivities<Activities>(graphGitOptions);
// The merge heartbeats (every 5 s): when its worker dies, another retries it 30 s later.
const { mergeGraphBranch } = proxyActivities<Activities>({ ...graphGitOptions, heartbeatTimeout: '30 seconds' });
// One `git rev-parse`: a local activity (a marker in the workflow task that starts the children).
const resolveGraphBaseHere = proxyLocalActivities<Activities>(graphGitOptions).resolveGraphBase;

/**
 * Patch id: the graph's base is resolved before the children are started, and children that are
 * ready at the start (no prerequisites, within the graph's limit) are started released — their
 * input carries the release — instead of each being sent a release signal. That saves a signal
 * and a workflow task per such child, and a first wave of hundreds of release signals that later
 * releases (a dependent's, after its prerequisite completed) used to queue behind.
 */
const RELEASE_AT_START = 'release-at-start';

/**
 * Patch id: the ready children beyond the first wave are started in waves of {@link FIRST_WAVE},
 * each once the previous wave's starts are recorded, instead of all at once. The server records
 * each start in the parent's history; when more than 100 such events arrive while a parent's
 * workflow task is running (144 at N = 200, with the parent's task slowed by a busy machine), the
 * server fails that task (`FORCE_CLOSE_COMMAND`) to flush them, and the worker replays the parent
 * from its first event. Only graphs with more than one such wave ask for the patch.
 */
const STARTED_IN_WAVES = 'started-in-waves';

/**
 * Patch id: a graph cancelled before its children were started, or whose graph branch cannot be
 * written, still ends with its bookkeeping (results, one terminal graph event, its state); and a
 * cancelled graph sends cancel requests only to children that exist. Before it, such a graph
 * just ended, and histories from then must replay (a query on a closed workflow replays it).
 */
const ENDS_RECORDED = 'graph-ends-recorded';

/**
 * Patch id: at most a few released children of a graph wait for a session slot at a time
 * ({@link sessionWindowSize}). Each child's turn tells the parent when it has a slot and when it
 * gives it up (`graphSession`, the end acknowledged before the slot is free). The parent releases
 * the next ready child when one of the waiting ones has a slot, but not while a child has ended
 * its session and its outcome has not arrived: that outcome may make a dependent ready, and the
 * release waits for it.
 *
 * Before this, every ready child was released at once, and when the workers were busy the
 * released children took freed slots in the order their turns reached the task queue: a
 * dependent that became ready later waited behind all of them, whatever their priority or place
 * in the input (a chain of 5 among 15 independent children on 4 slots, with a model that takes
 * 1 s per answer: 23 s, against 13 s for a script that keeps the order; 14-15 s with this). Now
 * a freed slot goes to a waiting child at once, and the next release is the best ready child
 * once the outcome is known: the graph's order holds up to those few. It needs no limit: it
 * follows the slots the workers give the graph, however many there are.
 *
 * It applies only while a child with prerequisites is unreleased or waits for a slot
 * (`windowed`): without one, nothing can overtake, and the rest is released at once as before.
 * Measured alternatives: with the window always on, a parent woke about ten times per child and
 * n200-s8 went from ratio 1.67 to 1.93; waiting only for the outcomes of children that others
 * depend on let the ended children count as holding their slot, the window grew, and the chain
 * above took 17.7-19.9 s.
 */
const SESSION_WINDOW = 'session-window';

/**
 * How many released children may wait for a session slot, given how many of the graph's children
 * have one: one, and one more for every four in session, so that a freed slot finds a child ready
 * for it (a release takes a hop through the parent and a worktree, 0.1-0.3 s) while a child that
 * becomes ready waits behind at most about a quarter of the slots' worth of others.
 */
function sessionWindowSize(inSession: number): number {
  return Math.max(1, Math.ceil(inSession / 4));
}

/** Ready children started together with the waiting ones; the rest follow (see releaseAtStart). */
const FIRST_WAVE = 16;

const SUMMARY_MAX_CHARS = 2_000;

interface ChildOutcome {
  taskId: string;
  state: TaskState;
  record?: TaskRecord;
  failure?: { code: string; message: string };
}

function outcomeOf(taskId: string, error: unknown): ChildOutcome {
  if (isCancellation(error)) return { taskId, state: 'cancelled', failure: { code: ErrorCode.cancelled, message: `Task ${taskId} was cancelled` } };
  const cause = error instanceof ChildWorkflowFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const record = cause.details?.[0] as TaskRecord | undefined;
    return { taskId, state: record?.state ?? 'failed', ...(record ? { record } : {}), failure: { code: cause.type ?? 'TASK_FAILED', message: cause.message } };
  }
  return { taskId, state: 'failed', failure: { code: 'TASK_FAILED', message: cause instanceof Error ? cause.message : String(cause) } };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function workerResult(parentTaskId: string, outcome: ChildOutcome): WorkerResult {
  const record = outcome.record;
  const classification: ResultClassification =
    outcome.state === 'completed' ? 'completed' : outcome.failure?.code === ErrorCode.graphMergeConflict ? 'conflicted' : 'failed';
  return {
    resultId: `result-${outcome.taskId}`,
    taskId: outcome.taskId,
    parentTaskId,
    classification,
    summary: truncate(
      outcome.state === 'completed' ? record?.finalMessage || `Task ${outcome.taskId} completed.` : (outcome.failure?.message ?? `Task ${outcome.taskId} did not complete.`),
      SUMMARY_MAX_CHARS,
    ),
    filesChanged: record?.filesChanged ?? [],
    ...(record?.commitSha && outcome.state === 'completed' ? { commitSha: record.commitSha } : {}),
    ...(record?.usage ? { usage: record.usage } : {}),
    ...(outcome.failure ? { errorCode: outcome.failure.code } : {}),
  };
}

/** Classification precedence of the reference: failed, then conflicted, then partial, then completed. */
function synthesize(
  parentTaskId: string,
  results: WorkerResult[],
  merge: GraphSynthesis['conflicts'],
  branch?: { branchName: string; commitSha: string },
  mergeFailure?: TaskFailure,
): GraphSynthesis {
  const count = (classification: ResultClassification) => results.filter((result) => result.classification === classification).length;
  const classification: ResultClassification =
    count('failed') > 0 || mergeFailure ? 'failed' : count('conflicted') > 0 || merge.length > 0 ? 'conflicted' : count('partial') > 0 ? 'partial' : 'completed';
  const lines = [
    `Synthesized ${results.length} child task result${results.length === 1 ? '' : 's'} as ${classification}. completed=${count('completed')} partial=${count('partial')} conflicted=${count('conflicted')} failed=${count('failed')}`,
    ...results.filter((result) => result.classification !== 'completed').map((result) => `${result.taskId} ${result.classification}: ${result.errorCode ?? ''} ${truncate(result.summary, 300)}`.replace('  ', ' ')),
    ...merge.map((conflict) => `${conflict.taskId} could not be merged into the graph branch: conflicts in ${conflict.files.join(', ')}`),
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
    ...(branch ?? {}),
    conflicts: merge,
  };
}

/**
 * A task graph: the parent task's workflow. Every child is a child workflow (`taskWorkflow`),
 * created at once so queued children can be listed and queried, and released by this workflow
 * when its prerequisites completed: higher priority first, then input order, at most
 * `maxConcurrentTasks` at a time. A failed child blocks its queued dependents (transitively);
 * independent children carry on. When every child is terminal, the completed children's work is
 * merged in dependency order into `plato/graph-<parentId>`, a synthesis is recorded, exactly one
 * `task.graph.completed` or `task.graph.failed` is emitted, and the parent ends the same way.
 *
 * Children are started with parent close policy ABANDON: they must survive the parent's
 * continue-as-new and are not silently terminated with it.
 */
export async function taskGraphWorkflow(rawInput: TaskGraphWorkflowInput): Promise<TaskRecord> {
  const parsed = TaskGraphWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`Invalid task graph input: ${describeIssues(parsed.error)}`, ErrorCode.validation);
  }
  const { parent, children, maxConcurrentTasks, requireApproval, approvalTimeout } = parsed.data;
  const problem = findGraphProblem(parent, children);
  if (problem) throw ApplicationFailure.nonRetryable(problem, ErrorCode.validation);

  // See LEAN_TASK in task-workflow.ts. For a parent it batches the journal's memo upserts and
  // merges each completed child into the graph branch as it completes (not all at the end).
  const lean = patched('lean-task');
  const journal = new TaskJournal(parent, { lean });
  const graph: GraphRecord = {
    children: children.map(({ taskId, prompt, priority, dependencyTaskIds }) => ({ taskId, prompt, priority, dependencyTaskIds })),
    ...(maxConcurrentTasks ? { maxConcurrentTasks } : {}),
    results: [],
  };
  journal.update({ graph });
  setHandler(taskQuery, () => journal.record);
  setHandler(eventsQuery, (afterSeq = 0) => journal.events.filter((event) => event.seq > afterSeq));

  journal.emit('task.graph.created', {
    graphState: 'queued',
    message: `Created task graph with ${children.length} child task${children.length === 1 ? '' : 's'}`,
  });
  journal.emit('task.queued');

  const releaseAtStart = patched(RELEASE_AT_START);
  const sessionWindow = patched(SESSION_WINDOW);
  const states = new Map<string, TaskState>(children.map((child) => [child.taskId, 'queued']));
  const commits = new Map<string, string>();
  const released = new Set<string>();
  const blocked = new Set<string>();
  const finished: ChildOutcome[] = [];
  const starting = new Map<string, Promise<ChildWorkflowHandle<typeof taskWorkflow>>>();
  const handles = new Map<string, ChildWorkflowHandle<typeof taskWorkflow>>();
  /** Released children whose turn has a session slot, or has given it up (SESSION_WINDOW). */
  const sessions = new Map<string, 'started' | 'ended'>();
  let paused = false;

  const runningCount = () => [...released].filter((id) => states.get(id) === 'running').length;
  /** The children that may run and are not released yet: higher priority first, then input order. */
  const readyChildren = (): ValidGraphChild[] =>
    children
      .map((child, index) => ({ child, index }))
      .filter(({ child }) => states.get(child.taskId) === 'queued' && !released.has(child.taskId) && !blocked.has(child.taskId))
      .filter(({ child }) => child.dependencyTaskIds.every((id) => states.get(id) === 'completed'))
      .sort((a, b) => b.child.priority - a.child.priority || a.index - b.index)
      .map(({ child }) => child);
  /**
   * Whether the session window applies: while a child with prerequisites is not released yet,
   * or is released but has no session slot yet. Without such a child, no child can become ready
   * later and overtake, and the release order is the order at the task queue.
   */
  const windowed = (): boolean =>
    sessionWindow &&
    children.some(({ taskId, dependencyTaskIds }) => {
      if (dependencyTaskIds.length === 0 || blocked.has(taskId)) return false;
      const state = states.get(taskId);
      return released.has(taskId) ? state === 'running' && sessions.get(taskId) === undefined : state === 'queued';
    });
  /** How many more children may be released to wait for a session slot (SESSION_WINDOW). */
  const windowLeft = (): number => {
    if (!windowed()) return Infinity;
    const running = [...released].filter((id) => states.get(id) === 'running').map((id) => sessions.get(id));
    if (running.includes('ended')) return 0; // its outcome first: it may make a dependent ready
    const withSlot = running.filter((session) => session === 'started').length;
    return sessionWindowSize(withSlot) - (running.length - withSlot);
  };
  /**
   * Marks the children that may run now released — every prerequisite completed, higher priority
   * first, then input order, within the graph's limit and the session window — and says where
   * each one's branch starts.
   */
  const takeReady = (): { child: ValidGraphChild; release: GraphRelease }[] => {
    const limit = maxConcurrentTasks ?? Infinity;
    let running = maxConcurrentTasks === undefined ? 0 : runningCount();
    if (paused || running >= limit) return [];
    let window = windowLeft();
    const tellSession = window !== Infinity;
    const taken: { child: ValidGraphChild; release: GraphRelease }[] = [];
    for (const child of readyChildren()) {
      if (running >= limit || window <= 0) break;
      running++;
      window--;
      released.add(child.taskId);
      states.set(child.taskId, 'running');
      const [first, ...rest] = child.dependencyTaskIds.map((id) => ({ taskId: id, commitSha: commits.get(id)! }));
      taken.push({
        child,
        release: {
          baseSha: first?.commitSha ?? graph.baseSha!,
          mergeShas: rest.map((dependency) => dependency.commitSha),
          satisfied: first ? [first, ...rest] : [],
          ...(tellSession ? { tellSession: true as const } : {}),
        },
      });
    }
    return taken;
  };
  const startedRunning = (releasedNow: number) => {
    if (releasedNow > 0 && journal.record.state === 'queued') {
      journal.setState('running');
      journal.emit('task.started');
    }
  };

  /** Starts a child; its outcome lands in `finished` when it ends, also when it could not be started. */
  const startOne = (child: ValidGraphChild, release?: GraphRelease) => {
    const started = startChild<typeof taskWorkflow>('taskWorkflow', {
      workflowId: taskWorkflowId(child.taskId),
      args: [childInput(parent, child, { requireApproval, approvalTimeout }, release)],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: CodexTaskState, value: 'queued' },
        { key: CodexParentTaskId, value: parent.taskId },
        { key: CodexRepoPath, value: parent.repoPath },
        { key: CodexPriority, value: child.priority },
      ],
      staticSummary: truncate(`${child.taskId} · part of ${parent.taskId} · ${child.prompt.replace(/\s+/g, ' ')}`, 190),
    });
    starting.set(child.taskId, started);
    void started
      .then((handle) => {
        handles.set(child.taskId, handle);
        return handle.result();
      })
      .then(
        (record) => finished.push({ taskId: child.taskId, state: record.state, record }),
        (error: unknown) => finished.push(outcomeOf(child.taskId, error)),
      );
    return started;
  };

  const base = { repoPath: parent.repoPath, ...(parent.baseRef ? { baseRef: parent.baseRef } : {}) };
  const startChildren = async (): Promise<void> => {
    if (!releaseAtStart) {
      await Promise.all(children.map((child) => startOne(child)));
      graph.baseSha = await resolveGraphBase(base);
      return;
    }
    // Nothing waits until every child is started: the server records the starts in this history
    // one by one, in no particular order (at N = 200 over a minute under load, measured), and a
    // released child may well have completed before the last start is recorded. The children
    // that wait for prerequisites go first, with the first few ready ones, so that a dependent
    // exists by the time its prerequisite completes; the other ready children follow in waves of
    // the same size, highest priority first, each once the previous wave's starts are recorded.
    graph.baseSha = await resolveGraphBaseHere(base);
    // With the session window most ready children are started unreleased; they go in waves all the same.
    const readyInOrder = sessionWindow ? readyChildren() : undefined;
    const ready = takeReady();
    const releases = new Map(ready.map(({ child, release }) => [child.taskId, release]));
    const startOrder = readyInOrder ?? ready.map(({ child }) => child);
    const later = new Set(startOrder.slice(FIRST_WAVE).map((child) => child.taskId));
    let previousWave = Promise.allSettled(children.filter((child) => !later.has(child.taskId)).map((child) => startOne(child, releases.get(child.taskId))));
    // In waves, priority decides the wave too; before the patch they all went at once, in input order.
    const inWaves = later.size > FIRST_WAVE && patched(STARTED_IN_WAVES);
    const lateChildren = inWaves ? startOrder.slice(FIRST_WAVE) : children.filter((child) => later.has(child.taskId));
    const waveSize = inWaves ? FIRST_WAVE : lateChildren.length;
    for (let first = 0; first < lateChildren.length; first += waveSize) {
      const wave = lateChildren.slice(first, first + waveSize).map((child) => {
        // Stands for the start until it is made, so a signal meanwhile waits for it. A start that
        // fails (the id taken, the graph cancelled meanwhile) reaches `finished` through startOne;
        // left unhandled here, its rejection would fail every workflow task from then on.
        const start = previousWave.then(() => startOne(child, releases.get(child.taskId)));
        start.catch(() => undefined);
        starting.set(child.taskId, start);
        return start;
      });
      previousWave = Promise.allSettled(wave);
    }
    startedRunning(ready.length);
  };
  // A graph cancelled before its first workflow task has started anything is handled with any
  // other cancellation below, once the handlers are set.
  let cancelledEarly: Error | undefined;
  try {
    await startChildren();
  } catch (error) {
    if (!isCancellation(error) || !patched(ENDS_RECORDED)) throw error;
    cancelledEarly = error as Error; // a CancelledFailure, or a failure caused by one
  }
  // The graph branch grows while the graph runs: completed children are merged in the order they
  // complete (a dependency order: a child completes after its prerequisites), one merge activity
  // at a time, each taking every child that completed while the previous one ran. (Without
  // lean-task the branch is merged at the end; with no base, cancelled before it was resolved, no
  // child runs and nothing is merged.)
  const graphMerge = lean && graph.baseSha !== undefined ? new GraphMerge(parent.taskId, parent.repoPath, graph.baseSha) : undefined;

  // A child that has already ended (cancelled by an operator, say) cannot take a signal and
  // needs none: its outcome arrives through its result, so a failed signal is not an error.
  const signalChild = async <A extends unknown[]>(taskId: string, signal: SignalDefinition<A>, ...args: A): Promise<void> => {
    // A child whose start is not recorded yet is signalled once it is (the signal would not find
    // it). A started one is signalled at once, from `handles`: awaiting even a settled promise
    // would move the signal behind commands made meanwhile, and recorded histories expect it first.
    const handle = handles.get(taskId) ?? (await starting.get(taskId)?.catch(() => undefined));
    await handle?.signal(signal, ...args).catch(() => undefined);
  };

  // Children waiting for approval or interrupted hold no slot; they say so with childStateSignal.
  let slotChanges = 0;
  setHandler(childStateSignal, ({ taskId, state }) => {
    const current = states.get(taskId);
    if (current === undefined || isTerminalState(current)) return;
    states.set(taskId, state);
    // A child that stops running has no session; when it runs again it waits for a slot anew.
    if (state !== 'running') sessions.delete(taskId);
    slotChanges++;
  });
  setHandler(graphSessionSignal, ({ taskId, session }) => {
    // A turn tried again (or a child's next turn) takes a slot again after it ended.
    if (!sessionWindow || !released.has(taskId) || states.get(taskId) !== 'running' || sessions.get(taskId) === session) return;
    sessions.set(taskId, session);
    slotChanges++;
  });
  // Children outlive the parent (ABANDON), so a graph's cancellation is passed on explicitly; one
  // that has ended meanwhile needs none.
  const cancelChild = (id: string) => getExternalWorkflowHandle(taskWorkflowId(id)).cancel().catch(() => undefined);
  const liveChildren = () => children.map((child) => child.taskId).filter((id) => !isTerminalState(states.get(id)!));

  // Graph-level interrupt and resume: the parent stops releasing children and forwards the
  // message to each one that has not ended (children outlive the parent, so this is explicit).
  setHandler(interruptSignal, async (request = {}) => {
    if (paused || isTerminalState(journal.record.state)) return;
    paused = true;
    journal.setState('interrupted');
    journal.emit('task.interrupted', { message: request.reason });
    await Promise.all(liveChildren().map((id) => signalChild(id, interruptSignal, request)));
  });
  setHandler(resumeSignal, async (request = {}) => {
    if (!paused) return;
    paused = false;
    journal.setState(released.size > 0 ? 'running' : 'queued');
    journal.emit('task.resumed', { message: request.message });
    const interrupted = liveChildren().filter((id) => states.get(id) === 'interrupted');
    for (const id of interrupted) if (!released.has(id)) states.set(id, 'queued');
    slotChanges++;
    await Promise.all(interrupted.map((id) => signalChild(id, resumeSignal, request)));
  });

  // Release and block signals are sent without waiting for their acknowledgement: with hundreds of
  // children, awaiting a batch kept finished children from being collected for tens of seconds
  // (measured by the benchmark). They are awaited once before the graph's final merge.
  const pendingSignals: Promise<void>[] = [];
  const releaseReady = () => {
    const ready = takeReady();
    for (const { child, release } of ready) pendingSignals.push(signalChild(child.taskId, graphReleaseSignal, release));
    startedRunning(ready.length);
  };

  const blockDependents = (failed: ChildOutcome) => {
    const rootCause = { taskId: failed.taskId, code: failed.failure?.code ?? 'TASK_FAILED', message: failed.failure?.message ?? '' };
    for (const dependentId of transitiveDependents(children, failed.taskId)) {
      if (released.has(dependentId) || blocked.has(dependentId)) continue;
      blocked.add(dependentId);
      const dependent = children.find((child) => child.taskId === dependentId)!;
      const blockedByTaskIds = dependent.dependencyTaskIds.filter((id) => id === failed.taskId || blocked.has(id));
      pendingSignals.push(signalChild(dependentId, graphBlockSignal, { blockedByTaskIds, rootCause }));
    }
  };

  const collect = (outcome: ChildOutcome) => {
    states.set(outcome.taskId, outcome.state);
    if (outcome.state === 'completed' && outcome.record?.commitSha) {
      commits.set(outcome.taskId, outcome.record.commitSha);
      graphMerge?.add(outcome.taskId, outcome.record.commitSha);
    }
    const result = workerResult(parent.taskId, outcome);
    graph.results.push(result);
    journal.emit('task.graph.result.collected', {
      parentTaskId: parent.taskId,
      childTaskId: outcome.taskId,
      resultId: result.resultId,
      resultClassification: result.classification,
      errorCode: result.errorCode,
      message: truncate(result.summary, 500),
    });
    journal.emit(outcome.state === 'completed' ? 'task.graph.child.completed' : 'task.graph.child.failed', {
      parentTaskId: parent.taskId,
      childTaskId: outcome.taskId,
      graphState: aggregateGraphState([...states.values()]),
    });
  };

  let terminal = 0;
  const drain = () => {
    for (const outcome of finished.splice(0)) {
      terminal++;
      collect(outcome);
      if (outcome.state !== 'completed') blockDependents(outcome);
    }
  };
  const recordCancelled = () => {
    journal.emit('task.graph.failed', { parentTaskId: parent.taskId, graphState: 'failed', errorCode: ErrorCode.cancelled, message: 'The graph was cancelled' });
    journal.update({ failure: { code: ErrorCode.cancelled, message: `Task graph ${parent.taskId} was cancelled` } });
    journal.setState('cancelled');
    journal.emit('task.cancelled');
  };
  try {
    if (cancelledEarly !== undefined) throw cancelledEarly;
    releaseReady();
    let seenSlotChanges = slotChanges;
    while (terminal < children.length) {
      await condition(() => finished.length > 0 || slotChanges !== seenSlotChanges);
      seenSlotChanges = slotChanges;
      drain();
      releaseReady();
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelling the graph cancels every child that has not ended (ABANDON means nothing does
    // it implicitly), waits until they have, and ends the parent Canceled.
    await CancellationScope.nonCancellable(async () => {
      if (patched(ENDS_RECORDED)) {
        // A child not started by then never will be: it ends with the graph, as cancelled. The
        // others are cancelled once their start is recorded; a start the cancellation stopped
        // (a later wave's) made no child, and gets no request.
        for (const child of children) if (!starting.has(child.taskId)) finished.push(outcomeOf(child.taskId, error));
        drain();
        await Promise.all(
          liveChildren().map(async (id) => {
            const handle = handles.get(id) ?? (await starting.get(id)?.catch(() => undefined));
            if (handle) await cancelChild(id);
          }),
        );
      } else {
        await Promise.all(liveChildren().map(cancelChild));
      }
      while (terminal < children.length) {
        await condition(() => finished.length > 0);
        drain();
      }
      await Promise.all(pendingSignals);
    });
    recordCancelled();
    throw error;
  }

  await Promise.all(pendingSignals);
  const completedCommits = dependencyOrder(children)
    .filter((child) => states.get(child.taskId) === 'completed' && commits.has(child.taskId))
    .map((child) => ({ taskId: child.taskId, commitSha: commits.get(child.taskId)! }));
  let branch: { branchName: string; commitSha: string } | undefined;
  let conflicts: GraphSynthesis['conflicts'] = [];
  // The merge activity failing for good (after its retries: the repository gone, a ref locked)
  // still ends the graph the documented way: a synthesis, one task.graph.failed, state failed.
  let mergeFailure: TaskFailure | undefined;
  if (completedCommits.length > 0) {
    try {
      const merged = graphMerge
        ? await graphMerge.finished()
        : await mergeGraphBranch({
            repoPath: parent.repoPath,
            parentTaskId: parent.taskId,
            baseSha: graph.baseSha!, // resolved: only a graph cancelled early has none, and it ended above
            commits: completedCommits,
            date: new Date().toISOString(),
          });
      branch = { branchName: merged.branchName, commitSha: merged.commitSha };
      conflicts = merged.conflicts;
      journal.update({ branchName: merged.branchName, commitSha: merged.commitSha });
      journal.emit('task.graph.merged', {
        parentTaskId: parent.taskId,
        branchName: merged.branchName,
        commitSha: merged.commitSha,
        message: `Merged ${merged.mergedTaskIds.length} of ${completedCommits.length} completed children into ${merged.branchName}${conflicts.length ? `; conflicts: ${conflicts.map((c) => `${c.taskId} (${c.files.join(', ')})`).join('; ')}` : ''}`,
      });
    } catch (error) {
      if (!patched(ENDS_RECORDED)) throw error;
      if (isCancellation(error)) {
        // Cancelled while the last merges ran: every child has ended, so only the graph's own
        // bookkeeping is left.
        recordCancelled();
        throw error;
      }
      const cause = error instanceof ActivityFailure ? error.cause : error;
      mergeFailure = {
        code: ErrorCode.graphMergeFailed,
        message: `The completed children could not be merged into ${graphBranchName(parent.taskId)}: ${cause instanceof Error ? cause.message : String(cause)}`,
      };
    }
  }

  graph.synthesis = synthesize(parent.taskId, graph.results, conflicts, branch, mergeFailure);
  journal.emit('task.graph.synthesized', {
    parentTaskId: parent.taskId,
    synthesisId: graph.synthesis.synthesisId,
    resultClassification: graph.synthesis.classification,
    message: truncate(graph.synthesis.summary, 2_000),
  });

  const failedChildren = children.filter((child) => states.get(child.taskId) !== 'completed');
  if (failedChildren.length === 0 && conflicts.length === 0 && mergeFailure === undefined) {
    journal.emit('task.graph.completed', { parentTaskId: parent.taskId, graphState: 'completed' });
    journal.setState('completed');
    journal.emit('task.completed', { branchName: branch?.branchName, commitSha: branch?.commitSha });
    return journal.record;
  }

  const failure =
    failedChildren.length > 0
      ? {
          code: ErrorCode.graphChildFailed,
          message: `Graph failed because ${failedChildren.length === 1 ? 'child task' : 'child tasks'} ${failedChildren.map((child) => child.taskId).join(', ')} did not complete: ${graph.results
            .filter((result) => result.classification !== 'completed' && !blocked.has(result.taskId))
            .map((result) => `${result.taskId} ${result.errorCode ?? 'TASK_FAILED'}: ${truncate(result.summary, 200)}`)
            .join('; ')}`,
        }
      : (mergeFailure ?? { code: ErrorCode.graphMergeConflict, message: `Graph failed because children conflict when merged: ${conflicts.map((c) => `${c.taskId} (${c.files.join(', ')})`).join('; ')}` });
  journal.emit('task.graph.failed', { parentTaskId: parent.taskId, graphState: 'failed', errorCode: failure.code, message: failure.message });
  journal.update({ failure });
  journal.setState('failed');
  journal.emit('task.failed', { errorCode: failure.code, message: failure.message });
  throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true, details: [journal.record] });
}

type GraphBranch = Awaited<ReturnType<Activities['mergeGraphBranch']>>;

/**
 * The graph branch, merged as children complete: `add` queues a completed child, and one merge
 * activity at a time takes everything queued so far onto the branch's current head.
 */
class GraphMerge {
  private readonly queued: { taskId: string; commitSha: string }[] = [];
  private readonly merged: GraphBranch;
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: Error | undefined;

  constructor(
    private readonly parentTaskId: string,
    private readonly repoPath: string,
    baseSha: string,
  ) {
    this.merged = { branchName: '', commitSha: baseSha, mergedTaskIds: [], conflicts: [] };
  }

  add(taskId: string, commitSha: string): void {
    this.queued.push({ taskId, commitSha });
    this.drain();
  }

  /** Waits for the merges queued so far; throws the first merge activity's failure. */
  async finished(): Promise<GraphBranch> {
    await this.running;
    if (this.failure !== undefined) throw this.failure;
    return this.merged;
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
          repoPath: this.repoPath,
          parentTaskId: this.parentTaskId,
          baseSha: this.merged.commitSha,
          commits,
          date: new Date().toISOString(),
        });
        this.merged.branchName = merged.branchName;
        this.merged.commitSha = merged.commitSha;
        this.merged.mergedTaskIds.push(...merged.mergedTaskIds);
        this.merged.conflicts.push(...merged.conflicts);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
      this.drain();
    });
  }
}

function childInput(
  parent: { taskId: string; repoPath: string; prompt: string; codex?: TaskWorkflowInput['codex']; contextPackage?: TaskWorkflowInput['contextPackage'] },
  child: ValidGraphChild,
  graph: { requireApproval?: boolean; approvalTimeout?: string },
  release?: GraphRelease,
): TaskWorkflowInput {
  const codex = parent.codex || child.codex ? { ...parent.codex, ...child.codex } : undefined;
  const requireApproval = child.requireApproval ?? graph.requireApproval;
  const contextPackage = child.contextPackage ?? parent.contextPackage;
  return {
    taskId: child.taskId,
    repoPath: parent.repoPath,
    prompt: child.prompt,
    priority: child.priority,
    parentTaskId: parent.taskId,
    goal: parent.prompt,
    dependencyTaskIds: child.dependencyTaskIds,
    ...(codex ? { codex } : {}),
    ...(requireApproval ? { requireApproval } : {}),
    ...(contextPackage ? { contextPackage } : {}),
    ...(requireApproval && graph.approvalTimeout ? { approvalTimeout: graph.approvalTimeout } : {}),
    ...(release ? { release } : {}),
  };
}
