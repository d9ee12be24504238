import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { TaskCommit } from '../activities';
import { ErrorCode } from '../contracts/errors';
import type { ApprovalDecision, TaskRecord } from '../contracts/records';
import type { z } from 'zod';
import { ApproveRequestSchema, RejectRequestSchema, RequestChangesRequestSchema } from '../contracts/messages';
import { updatePayload } from './guarded-handlers';
import { approveUpdate, rejectUpdate, requestChangesUpdate } from './messages';
import { StepFailure } from './step-failure';
import type { TaskJournal } from './task-journal';

/** An approval without a timeout waits as long as Temporal lets a timer run (practically forever). */
const MAX_APPROVAL_WAIT = '3650d';

const now = () => new Date().toISOString();

/**
 * The approval gate of a task started with `requireApproval`: after a turn's commit the task
 * waits in `awaiting_approval` for the updates `approve`, `reject` or `requestChanges`. They are
 * validated, so a call in the wrong state is refused at once and leaves no trace in history.
 */
export class ApprovalGate {
  private decision: ApprovalDecision | undefined;

  constructor(private readonly journal: TaskJournal) {
    const { record } = journal;
    const awaitingApproval = () => {
      if (record.state !== 'awaiting_approval' || this.decision !== undefined) {
        throw ApplicationFailure.create({ type: ErrorCode.wrongState, message: `Task ${record.taskId} is not awaiting approval (it is ${record.state})` });
      }
    };
    const decide = async (decision: ApprovalDecision): Promise<TaskRecord> => {
      this.decision = decision;
      await condition(() => record.state !== 'awaiting_approval');
      return record;
    };
    const by = (actor: string | undefined) => (actor ? { by: actor } : {});
    // Each validator refuses a task in the wrong state, then a bad payload (naming the field).
    const guard =
      <S extends z.ZodType>(schema: S) =>
      (payload: unknown) => {
        awaitingApproval();
        updatePayload(schema, payload);
      };
    setHandler(
      approveUpdate,
      (payload) => {
        const request = updatePayload(ApproveRequestSchema, payload);
        return decide({ kind: 'approved', ...by(request.by), ...(request.comment ? { message: request.comment } : {}), at: now() });
      },
      { validator: guard(ApproveRequestSchema) },
    );
    setHandler(
      rejectUpdate,
      (payload) => {
        const request = updatePayload(RejectRequestSchema, payload);
        return decide({ kind: 'rejected', ...by(request.by), message: request.reason, at: now() });
      },
      { validator: guard(RejectRequestSchema) },
    );
    setHandler(
      requestChangesUpdate,
      (payload) => {
        const request = updatePayload(RequestChangesRequestSchema, payload);
        return decide({ kind: 'changes_requested', ...by(request.by), message: request.message, at: now() });
      },
      { validator: guard(RequestChangesRequestSchema) },
    );
  }

  /**
   * Waits in `awaiting_approval` with what an approver needs (the diff stat and the agent's final
   * message), for a decision or `timeout`. Returns an approval or a request for changes.
   * @throws StepFailure `TASK_APPROVAL_REJECTED` or `TASK_APPROVAL_TIMED_OUT`.
   */
  async request(commit: TaskCommit, finalMessage: string, timeout: string | undefined): Promise<ApprovalDecision> {
    const { journal } = this;
    this.decision = undefined;
    journal.update({ approval: { requestedAt: now(), diffStat: commit.diffStat, finalMessage } });
    journal.setState('awaiting_approval');
    journal.emit('task.awaiting_approval', { commitSha: commit.commitSha, diffStat: commit.diffStat, message: finalMessage });
    const answered = await condition(() => this.decision !== undefined, timeout ?? MAX_APPROVAL_WAIT);
    const decision: ApprovalDecision = answered ? this.decision! : { kind: 'timed_out', at: now() };
    journal.update({ approval: { ...journal.record.approval!, decision } });
    switch (decision.kind) {
      case 'approved':
        journal.emit('task.approval.granted', { actor: decision.by, message: decision.message, commitSha: commit.commitSha });
        return decision;
      case 'changes_requested':
        journal.emit('task.changes_requested', { actor: decision.by, message: decision.message });
        return decision;
      case 'rejected':
        journal.emit('task.approval.rejected', { actor: decision.by, message: decision.message });
        throw new StepFailure({ code: ErrorCode.approvalRejected, message: `Rejected${decision.by ? ` by ${decision.by}` : ''}: ${decision.message ?? ''}` });
      case 'timed_out':
        journal.emit('task.approval.timed_out', { message: `No decision within ${timeout}` });
        throw new StepFailure({ code: ErrorCode.approvalTimedOut, message: `No approval decision within ${timeout}` });
    }
  }
}
