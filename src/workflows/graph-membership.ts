import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { ErrorCode } from '../contracts/errors';
import { taskWorkflowId } from '../contracts/ids';
import { GraphBlockSchema } from '../contracts/messages';
import { GraphReleaseSchema, type GraphRelease, type TaskState, type ValidTaskWorkflowInput } from '../contracts/task';
import { ignoreSignal, onSignal } from './guarded-handlers';
import { childStateSignal, graphBlockSignal, graphReleaseSignal, type GraphBlock } from './messages';
import type { OperatorControl } from './operator-control';
import { StepFailure } from './step-failure';
import type { TaskJournal } from './task-journal';

/** Where a released child's branch starts (the input of provisionWorktree). */
export interface WorktreeBase {
  baseRef?: string;
  mergeRefs?: string[];
  mergeDate?: string;
}

/** The states a graph's parent hears of: those that take a slot (`running`) or free one. */
const SLOT_STATES: ReadonlySet<TaskState> = new Set(['running', 'awaiting_approval', 'interrupted', 'queued']);

/**
 * A graph child's side of its graph. The child exists (listable, queryable) from the start, but
 * runs only once its parent releases it (signal `graphRelease`, or `release` in its input when it
 * was ready as the graph started), or ends when the parent blocks it (`graphBlock`). It tells the
 * parent when it frees its slot or takes it again (`childState`): a child awaiting approval or
 * interrupted holds none.
 */
export class GraphMembership {
  private gate: GraphRelease | GraphBlock | undefined;

  constructor(
    private readonly input: ValidTaskWorkflowInput,
    private readonly parentTaskId: string,
    private readonly journal: TaskJournal,
  ) {
    this.gate = input.release;
    onSignal(journal, graphReleaseSignal, GraphReleaseSchema, (release) =>
      this.open(graphReleaseSignal.name, release, releaseProblem(release, input.dependencyTaskIds ?? [])),
    );
    onSignal(journal, graphBlockSignal, GraphBlockSchema, (block) =>
      this.open(graphBlockSignal.name, block, blockProblem(block, input.dependencyTaskIds ?? [])),
    );
    const parent = getExternalWorkflowHandle(taskWorkflowId(parentTaskId));
    // The parent counted the child running when it released it: the first `running` is no news.
    let toldParent = false;
    journal.onStateChange((_before, state) => {
      if (!SLOT_STATES.has(state) || (!toldParent && state === 'running')) return;
      toldParent = true;
      void parent.signal(childStateSignal, { taskId: input.taskId, state }).catch(() => undefined);
    });
  }

  /** Takes the parent's release or block, once; one that does not fit this child is dropped and recorded. */
  private open(signal: string, gate: GraphRelease | GraphBlock, problem: string | undefined): void {
    if (problem === undefined && this.gate !== undefined) problem = 'the parent has already released or blocked this child';
    if (problem !== undefined) return ignoreSignal(this.journal, signal, problem);
    this.gate = gate;
  }

  /** Whether the child's turns report their session slots to the parent (the graph is keeping its order). */
  get reportsSessions(): boolean {
    return this.gate !== undefined && 'baseSha' in this.gate && this.gate.reportsSessions === true;
  }

  /**
   * Waits until the parent releases the child (parking it while an operator interrupts it) and
   * returns where its branch starts: its first prerequisite's commit, with the others merged in.
   * @throws StepFailure `TASK_GRAPH_DEPENDENCY_FAILED` when the parent blocked it.
   */
  /** The commit to read the repository's `.codex-runner.yaml` at, when the graph names one. */
  get configSha(): string | undefined {
    return this.gate !== undefined && 'baseSha' in this.gate ? this.gate.configSha : undefined;
  }

  async waitForRelease(control: OperatorControl): Promise<WorktreeBase> {
    await control.waitUntil(() => this.gate !== undefined);
    const gate = this.gate!;
    const { journal, parentTaskId } = this;
    const dependencyTaskIds = this.input.dependencyTaskIds ?? [];
    if ('rootCause' in gate) {
      const { blockedByTaskIds, rootCause } = gate;
      const message = `Blocked by failed graph dependency ${blockedByTaskIds.join(', ')} (root cause: ${rootCause.taskId} ${rootCause.code}: ${rootCause.message})`;
      journal.emit('task.graph.dependency.blocked', { parentTaskId, dependencyTaskIds, blockedByTaskIds, errorCode: ErrorCode.graphDependencyFailed, message });
      throw new StepFailure({ code: ErrorCode.graphDependencyFailed, message });
    }
    for (const { taskId, commitSha } of gate.satisfied) {
      journal.emit('task.graph.dependency.satisfied', { parentTaskId, dependencyTaskId: taskId, dependencyTaskIds, commitSha });
    }
    journal.emit('task.graph.worker.started', { parentTaskId, dependencyTaskIds, baseSha: gate.baseSha });
    return { baseRef: gate.baseSha, mergeRefs: gate.mergeShas, mergeDate: new Date().toISOString() };
  }
}

/** Why a release does not fit a child with these prerequisites (each named once, with its commit), or undefined. */
function releaseProblem({ baseSha, mergeShas, satisfied }: GraphRelease, prerequisites: readonly string[]): string | undefined {
  const named = satisfied.map((dependency) => dependency.taskId);
  if (named.join('\n') !== prerequisites.join('\n'))
    return `it names prerequisites ${named.join(', ') || 'none'}, but this child has ${prerequisites.join(', ') || 'none'}`;
  const [first, ...rest] = satisfied;
  if (first !== undefined && (first.commitSha !== baseSha || rest.map((dependency) => dependency.commitSha).join() !== mergeShas.join())) {
    return 'its base and merges are not its prerequisites’ commits';
  }
  if (first === undefined && mergeShas.length > 0) return 'a child without prerequisites merges nothing';
  return undefined;
}

/** Why a block does not fit a child with these prerequisites, or undefined. */
function blockProblem({ blockedByTaskIds }: GraphBlock, prerequisites: readonly string[]): string | undefined {
  const strangers = blockedByTaskIds.filter((id) => !prerequisites.includes(id));
  return strangers.length > 0
    ? `${strangers.join(', ')} ${strangers.length === 1 ? 'is not a prerequisite' : 'are not prerequisites'} of this child`
    : undefined;
}
