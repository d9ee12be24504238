import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ErrorCode } from '../../src/contracts/errors';
import { failureCause, taskRecordOf, toTaskFailure } from '../../src/contracts/failures';

const record = { taskId: 't', state: 'failed' };
const appFailure = ApplicationFailure.create({ type: ErrorCode.codexTurnFailed, message: 'Codex turn failed: no', details: [record] });
const inActivity = new ActivityFailure('activity failed', 'runCodexTurn', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', appFailure);
const inChild = new ChildWorkflowFailure('default', { workflowId: 'codex-task-t', runId: 'r' }, 'taskWorkflow', RetryState.NON_RETRYABLE_FAILURE, appFailure);

describe('a caught Temporal failure as a task records it', () => {
  it('unwraps what an activity, a child workflow, a workflow or an update threw', () => {
    for (const wrapped of [
      inActivity,
      inChild,
      new WorkflowFailedError('failed', appFailure, RetryState.NON_RETRYABLE_FAILURE),
      new WorkflowUpdateFailedError('refused', appFailure),
    ]) {
      expect(failureCause(wrapped)).toBe(appFailure);
      expect(toTaskFailure(wrapped)).toEqual({ code: 'CODEX_TURN_FAILED', message: 'Codex turn failed: no' });
      expect(taskRecordOf(wrapped)).toBe(record);
    }
  });

  it('gives a code none of the project’s the fallback, not a library’s class name', () => {
    const foreign = ApplicationFailure.create({ type: 'TypeError', message: 'x is not a function' });
    expect(toTaskFailure(new ActivityFailure('failed', 'a', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', foreign), ErrorCode.commitFailed)).toEqual({
      code: 'TASK_COMMIT_FAILED',
      message: 'x is not a function',
    });
    expect(toTaskFailure(new Error('plain'))).toEqual({ code: 'TASK_FAILED', message: 'plain' });
    expect(toTaskFailure('a string')).toEqual({ code: 'TASK_FAILED', message: 'a string' });
  });

  it('stops at a failure that is not a wrapper, and finds no record where none was attached', () => {
    const cancelled = new CancelledFailure('cancelled');
    expect(failureCause(new ChildWorkflowFailure('default', { workflowId: 'w', runId: 'r' }, 't', RetryState.CANCEL_REQUESTED, cancelled))).toBe(cancelled);
    expect(taskRecordOf(cancelled)).toBeUndefined();
  });
});
