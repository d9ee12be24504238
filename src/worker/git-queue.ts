import { availableParallelism } from 'node:os';
import { Context } from '@temporalio/activity';
import type { Activities } from '../activities';
import type { CommandRank } from '../host/launcher';

/** Git commands this worker runs at once; the rest queue (see CommandQueue). */
export const GIT_COMMANDS_AT_ONCE = Math.max(4, 2 * availableParallelism());

/** The git work that other work waits for: a task's last commit (its dependents), the graph's base and branch. */
const AWAITED_STEPS = new Set<string>(['commitTaskWork', 'resolveGraphBase', 'mergeGraphBranch'] satisfies (keyof Activities)[]);

/**
 * Queued git commands go awaited steps first, then by when their activity was scheduled: a
 * worktree for a child released long ago before one for a child released just now, and each
 * step's commands together rather than interleaved with every other step's.
 */
export function rankByActivity(): CommandRank {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return [0, Date.now()]; // not an activity's command
  }
  return [AWAITED_STEPS.has(info.activityType) ? 0 : 1, info.scheduledTimestampMs];
}
