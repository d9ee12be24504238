import { ApplicationFailure, setHandler, type SignalDefinition } from '@temporalio/workflow';
import type { z } from 'zod';
import { ErrorCode } from '../contracts/errors';
import { describeIssues } from '../contracts/validation';
import type { TaskJournal } from './task-journal';

/**
 * Sets the handler of `signal` behind `schema`: a payload the schema refuses is dropped and
 * recorded as `task.signal.ignored`, never thrown. Anyone who can signal the namespace can send a
 * signal, and a handler that throws fails its workflow task, which Temporal retries for ever: one
 * junk signal would wedge the task (no query answered, no cancel acted on).
 */
export function onSignal<A extends unknown[], S extends z.ZodType>(
  journal: TaskJournal,
  signal: SignalDefinition<A>,
  schema: S,
  handler: (payload: z.output<S>) => void | Promise<void>,
): void {
  setHandler(signal as unknown as SignalDefinition<[unknown]>, (payload: unknown) => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return ignoreSignal(journal, signal.name, describeIssues(parsed.error));
    return handler(parsed.data);
  });
}

/** Records a signal the workflow drops: its payload did not fit, or it does not fit the task. */
export function ignoreSignal(journal: TaskJournal, name: string, why: string): void {
  journal.emit('task.signal.ignored', { message: `Ignored signal ${name}: ${why}` });
}

/**
 * An update's payload as `schema` reads it, for its validator and its handler; a payload it
 * refuses is refused with `VALIDATION_FAILED` naming the field, which leaves nothing in history.
 */
export function updatePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw ApplicationFailure.create({ type: ErrorCode.validation, message: describeIssues(parsed.error) });
  return parsed.data;
}
