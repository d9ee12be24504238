import { isCancellation } from '@temporalio/workflow';
import type { ErrorCode, TaskFailure } from '../contracts/errors';
import { toTaskFailure } from '../contracts/failures';
import { HostLost } from './host-steps';

/** A step of a task that failed for good: the task ends `failed` with this failure. */
export class StepFailure extends Error {
  constructor(readonly failure: TaskFailure) {
    super(failure.message);
  }
}

/**
 * Runs one step of a task; its failure becomes a {@link StepFailure} with the step's own code
 * when the failure carries none of this project's. A cancellation, and the loss of the task's
 * host (the task moves), go through as they are.
 */
export async function step<T>(code: ErrorCode, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isCancellation(error) || error instanceof HostLost) throw error;
    throw new StepFailure(toTaskFailure(error, code));
  }
}
