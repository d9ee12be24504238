import { ApplicationFailure, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorCode } from '../contracts/errors';
import { AddSubtasksRequestSchema, findSubtaskProblem, type ValidTaskGraphWorkflowInput } from '../contracts/graph';
import type { TaskRecord } from '../contracts/records';
import { isTerminalState } from '../contracts/task';
import type { GraphChildren } from './graph-children';
import type { GraphJournal } from './graph-journal';
import type { GraphScheduler } from './graph-scheduler';
import { updatePayload } from './guarded-handlers';
import { addSubtasksUpdate, closeGraphUpdate } from './messages';

const { findTakenTaskIds } = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

/**
 * A graph that grows while it runs: `addSubtasks` adds children (under the graph's rules: new ids,
 * known prerequisites, no cycle), which the scheduler releases like the others, from the commits
 * of their prerequisites (completed ones too). A graph started `open` ends only once it is closed
 * (`closeGraph`) and every child has ended; any graph takes subtasks until it ends.
 */
export class GraphSubtasks {
  private open: boolean;
  private ended = false;
  private changes = 0;

  constructor(
    private readonly input: ValidTaskGraphWorkflowInput,
    private readonly graph: { journal: GraphJournal; scheduler: GraphScheduler; children: GraphChildren },
  ) {
    this.open = input.open === true;
    setHandler(addSubtasksUpdate, (payload) => this.add(payload), {
      validator: (payload) => {
        this.refuseEnded();
        const { children } = updatePayload(AddSubtasksRequestSchema, payload);
        this.refuseProblem(children);
      },
    });
    setHandler(
      closeGraphUpdate,
      () => {
        this.open = false;
        this.changes++;
        graph.journal.emit('task.graph.closed', { message: 'Closed: the graph ends once every child has ended' });
        return graph.journal.record;
      },
      {
        validator: () => {
          this.refuseEnded();
          if (!this.open) throw ApplicationFailure.create({ type: ErrorCode.wrongState, message: `Task graph ${input.parent.taskId} is not open` });
        },
      },
    );
  }

  /** Whether the graph waits for more children (it is open). */
  get waiting(): boolean {
    return this.open;
  }

  /** How many times the graph grew or was closed: a reason for the graph's loop to look again. */
  count(): number {
    return this.changes;
  }

  /** The graph has ended: it takes no more subtasks. */
  seal(): void {
    this.ended = true;
  }

  private async add(payload: unknown): Promise<TaskRecord> {
    const { children } = updatePayload(AddSubtasksRequestSchema, payload);
    const taken = await findTakenTaskIds(children.map((child) => child.taskId));
    if (taken.length > 0)
      throw ApplicationFailure.create({ type: ErrorCode.taskAlreadyExists, message: `Task ${taken[0]} already exists: give the subtask another id` });
    // Meanwhile another update may have added the same ids, or the graph may have ended.
    this.refuseEnded();
    this.refuseProblem(children);
    const { journal, scheduler } = this.graph;
    journal.subtasksAdded(children);
    const blocks = scheduler.add(children);
    this.graph.children.add(children);
    for (const block of blocks) this.graph.children.block(block);
    journal.showChildren(scheduler);
    this.changes++;
    return journal.record;
  }

  private refuseEnded(): void {
    const { state } = this.graph.journal.record;
    if (this.ended || isTerminalState(state)) {
      throw ApplicationFailure.create({
        type: ErrorCode.wrongState,
        message: `Task graph ${this.input.parent.taskId} has ended (${state}): it takes no more subtasks`,
      });
    }
  }

  private refuseProblem(children: Parameters<typeof findSubtaskProblem>[2]): void {
    const problem = findSubtaskProblem(this.input.parent, this.graph.journal.graph.children, children);
    if (problem) throw ApplicationFailure.create({ type: ErrorCode.validation, message: problem });
  }
}
