import type { Context } from '@temporalio/activity';

/**
 * Runs `work` in an activity, heartbeating `details` at once and then every `everyMs` until it
 * ends: an activity with a heartbeat timeout whose step can be silent for a while (npm, a git
 * command) stays alive, and one whose worker died is retried once the timeout passes.
 */
export async function heartbeatWhile<T>(context: Context, details: unknown, everyMs: number, work: () => Promise<T>): Promise<T> {
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
