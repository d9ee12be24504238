import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { ErrorCode } from '../contracts/errors';
import { taskWorkflowId } from '../contracts/ids';
import type { GraphRelease, TaskState, ValidTaskWorkflowInput } from '../contracts/task';
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
    setHandler(graphReleaseSignal, (release) => void (this.gate ??= release));
    setHandler(graphBlockSignal, (block) => void (this.gate ??= block));
    const parent = getExternalWorkflowHandle(taskWorkflowId(parentTaskId));
    // The parent counted the child running when it released it: the first `running` is no news.
    let toldParent = false;
    journal.onStateChange((_before, state) => {
      if (!SLOT_STATES.has(state) || (!toldParent && state === 'running')) return;
      toldParent = true;
      void parent.signal(childStateSignal, { taskId: input.taskId, state }).catch(() => undefined);
    });
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
