import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TemporalFailure } from '@temporalio/common';
import { ErrorCode, isErrorCode, type TaskFailure } from './errors';
import { ReportedEventsSchema, type SessionEventInput } from './events';
import { isOutageCode, type OutageDetails } from './model-outage';
import type { TaskRecord } from './records';

/**
 * The failure a caught Temporal error stands for. Temporal wraps what an activity or a workflow
 * threw: in an `ActivityFailure` or a `ChildWorkflowFailure` inside workflow code, in a
 * `WorkflowFailedError` or `WorkflowUpdateFailedError` in a client (an Error whose cause is a
 * Temporal failure). This unwraps those down to the `ApplicationFailure` (or other failure) inside.
 */
export function failureCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && !(current instanceof ApplicationFailure)) {
    const wraps = current instanceof ActivityFailure || current instanceof ChildWorkflowFailure || !(current instanceof TemporalFailure);
    if (!wraps || !(current.cause instanceof TemporalFailure)) break;
    current = current.cause;
  }
  return current;
}

/**
 * A caught failure as a task records it. Only this project's codes become the task's code: a plain
 * error thrown by a library carries its (possibly minified) class name as its type, which means
 * nothing to a user, so it gets `fallback`.
 */
export function toTaskFailure(error: unknown, fallback: ErrorCode = ErrorCode.taskFailed): TaskFailure {
  const cause = failureCause(error);
  const code = cause instanceof ApplicationFailure && isErrorCode(cause.type) ? cause.type : fallback;
  return { code, message: cause instanceof Error ? cause.message : String(cause) };
}

/** The events a failed activity reported with its failure ({@link ReportedEventsSchema}), checked; none when it reported none. */
export function reportedEventsOf(error: unknown): SessionEventInput[] {
  const cause = failureCause(error);
  if (!(cause instanceof ApplicationFailure)) return [];
  const parsed = ReportedEventsSchema.safeParse(cause.details?.[0]);
  return parsed.success ? parsed.data.reportedEvents : [];
}

/** The task record a failed task workflow attached to its failure (its first detail), if any. */
export function taskRecordOf(error: unknown): TaskRecord | undefined {
  const cause = failureCause(error);
  return cause instanceof ApplicationFailure ? (cause.details?.[0] as TaskRecord | undefined) : undefined;
}

/** A turn's failure the task waits out (a model outage, a stalled turn): the failure and the window the session host set; `undefined` for any other. */
export function turnOutageOf(error: unknown): { failure: TaskFailure; windowMs: number } | undefined {
  const cause = failureCause(error);
  if (!(cause instanceof ApplicationFailure) || !isErrorCode(cause.type) || !isOutageCode(cause.type)) return undefined;
  const windowMs = (cause.details?.[0] as Partial<OutageDetails> | undefined)?.outageWindowMs;
  if (typeof windowMs !== 'number') return undefined;
  return { failure: { code: cause.type, message: cause.message }, windowMs };
}
