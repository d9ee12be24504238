import { isCancellation } from '@temporalio/workflow';
import type { ErrorCode, TaskFailure } from '../contracts/errors';
import type { SessionEventInput } from '../contracts/events';
import { reportedEventsOf, toTaskFailure } from '../contracts/failures';
import { HostLost } from './host-steps';

/**
 * A step of a task that failed for good: the task ends `failed` with this failure, after the
 * events its activity reported with it (a runtime install that failed).
 */
export class StepFailure extends Error {
  constructor(
    readonly failure: TaskFailure,
    readonly reported: SessionEventInput[] = [],
  ) {
    super(failure.message);
  }

  /** A caught activity failure as a step's: its code when it carries one of this project's, else `fallback`. */
  static of(error: unknown, fallback: ErrorCode): StepFailure {
    return new StepFailure(toTaskFailure(error, fallback), reportedEventsOf(error));
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
    throw StepFailure.of(error, code);
  }
}
