import type { TaskEvent } from '../contracts/events';
import type { TaskSession } from '../contracts/records';
import { isTerminalState, type TaskState } from '../contracts/task';

/** A turn opened by `event`: its thread, attempt, worktree and start. */
function opened(event: TaskEvent): TaskSession {
  return {
    ...(event.threadId ? { threadId: event.threadId } : {}),
    attempt: event.attempt ?? 1,
    state: 'running',
    ...(event.worktreePath ? { worktreePath: event.worktreePath } : {}),
    startedAt: event.at,
  };
}

/**
 * A task's sessions, one per turn, from its events alone. A turn opens with `session.started`
 * (once its Codex thread is known) or, when a retry took it over from a lost worker, with that
 * attempt's `session.recovered` (the lost attempt's turn then ends `lost`); it closes with
 * `session.exited`. A turn that failed before its thread started has an exit and no start.
 * Nothing is changed on read: a turn without an end is `running` while the task is live,
 * whatever its worker is doing.
 */
export function sessionsOf(events: readonly TaskEvent[], taskState: TaskState): TaskSession[] {
  const sessions: TaskSession[] = [];
  let open: TaskSession | undefined;
  const lose = (at?: string) => {
    if (open === undefined) return;
    Object.assign(open, { state: 'lost', message: 'Its end was never recorded: the worker running it was lost' }, at ? { endedAt: at } : {});
    open = undefined;
  };
  const start = (event: TaskEvent) => {
    lose(event.at);
    open = opened(event);
    sessions.push(open);
  };
  for (const event of events) {
    if (event.type === 'session.recovered') start(event);
    else if (event.type === 'session.started') {
      // A retry that had no thread to resume learns its new thread's id here.
      if (open && open.threadId === undefined && open.attempt === (event.attempt ?? 1)) Object.assign(open, opened({ ...event, at: open.startedAt }));
      else start(event);
    } else if (event.type === 'session.exited') {
      const turn = open ?? opened(event);
      if (open === undefined) sessions.push(turn);
      const exitCode = event.exitCode ?? null;
      Object.assign(turn, {
        state: exitCode === 0 ? 'completed' : exitCode === null ? 'interrupted' : 'failed',
        exitCode,
        endedAt: event.at,
        ...(event.message ? { message: event.message } : {}),
      });
      open = undefined;
    }
  }
  if (isTerminalState(taskState)) lose();
  return sessions;
}
