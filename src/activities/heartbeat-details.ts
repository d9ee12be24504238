/**
 * The session activity's checkpoint, carried in its heartbeat details. One versioned object,
 * because the worker only decodes the first heartbeat payload and a later version of this code
 * must still read what an older one wrote.
 */
export interface SessionCheckpointV1 {
  v: 1;
  threadId?: string;
  /** HEAD of the worktree when the attempt started. */
  worktreeHead?: string;
  /** Items completed so far in this attempt. */
  itemsCompleted: number;
}

export function readSessionCheckpoint(details: unknown): SessionCheckpointV1 | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const candidate = details as Partial<SessionCheckpointV1>;
  if (candidate.v !== 1) return undefined;
  return {
    v: 1,
    itemsCompleted: typeof candidate.itemsCompleted === 'number' ? candidate.itemsCompleted : 0,
    ...(typeof candidate.threadId === 'string' ? { threadId: candidate.threadId } : {}),
    ...(typeof candidate.worktreeHead === 'string' ? { worktreeHead: candidate.worktreeHead } : {}),
  };
}
