import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { TaskIdSchema, TaskStateSchema } from './task';

/**
 * The payloads of the signals and updates a task's and a graph's workflows take, as zod schemas.
 * Anyone who can signal the namespace can send them (the plain `temporal` CLI does), so every
 * handler checks its payload with these before it acts on it.
 */

/** A payload of options only: none at all, or `null` (what `temporal workflow signal` sends without `--input`), is no options. */
function options<T extends z.ZodRawShape>(shape: T) {
  const schema = z.object(shape).strict();
  type Options = z.output<typeof schema>;
  // Every field of an options payload is optional, so an empty object is a valid one.
  return schema.nullish().transform((value): Options => value ?? ({} as Options));
}

const ActorSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const NoteSchema = z.string().max(10_000, 'must be at most 10000 characters');
/** An instruction for the agent's next turn, as long as a prompt may be. */
const instruction = (whenEmpty: string) => z.string().trim().min(1, whenEmpty).max(100_000, 'must be at most 100000 characters');

export const InterruptRequestSchema = options({ reason: NoteSchema.optional() });
export type InterruptRequest = z.input<typeof InterruptRequestSchema>;

/** `message` is the next turn's instruction. */
export const ResumeRequestSchema = options({ message: instruction('must not be empty (omit it to continue where the task left off)').optional() });
export type ResumeRequest = z.input<typeof ResumeRequestSchema>;

export const ApproveRequestSchema = options({ by: ActorSchema.optional(), comment: NoteSchema.optional() });
export type ApproveRequest = z.input<typeof ApproveRequestSchema>;

export const RejectRequestSchema = z.object({ reason: NoteSchema.trim().min(1, 'a rejection needs a reason'), by: ActorSchema.optional() }).strict();
export type RejectRequest = z.input<typeof RejectRequestSchema>;

export const RequestChangesRequestSchema = z.object({ message: instruction('say which changes you want'), by: ActorSchema.optional() }).strict();
export type RequestChangesRequest = z.input<typeof RequestChangesRequestSchema>;

/** What a graph parent tells a child that can never run because a prerequisite failed (signal `graphBlock`). */
export const GraphBlockSchema = z
  .object({
    /** Its prerequisites that failed, or were blocked themselves. */
    blockedByTaskIds: z.array(TaskIdSchema).min(1),
    /** The child whose failure started the chain, and why it failed. */
    rootCause: z.object({ taskId: TaskIdSchema, code: z.enum(ERROR_CODES), message: z.string() }).strict(),
  })
  .strict();
export type GraphBlock = z.infer<typeof GraphBlockSchema>;

/** A graph child telling its parent that it no longer holds, or again holds, a graph slot (signal `childState`). */
export const ChildStateChangeSchema = z
  .object({ taskId: TaskIdSchema, state: TaskStateSchema.extract(['running', 'awaiting_approval', 'interrupted', 'queued']) })
  .strict();
export type ChildStateChange = z.infer<typeof ChildStateChangeSchema>;

/** A graph child's turn telling its parent that it has a session slot, or is giving it up (signal `graphSession`). */
export const GraphSessionChangeSchema = z.object({ taskId: TaskIdSchema, session: z.enum(['started', 'ended']) }).strict();
export type GraphSessionChange = z.infer<typeof GraphSessionChangeSchema>;
