import { sessionsOf } from '../../src/client/task-sessions';
import type { TaskEvent, TaskEventType } from '../../src/contracts/events';

let seq = 0;
const event = (type: TaskEventType, fields: Partial<TaskEvent> = {}): TaskEvent => {
  seq += 1;
  return { seq, at: `2025-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, type, taskId: 't', ...fields };
};
const at = (n: number) => `2025-01-01T00:00:${String(n).padStart(2, '0')}.000Z`;

beforeEach(() => {
  seq = 0;
});

describe("a task's sessions, one per turn, from its events", () => {
  it('an interrupted turn and its resume: two sessions on the same thread, the first interrupted, the second completed', () => {
    const events = [
      event('task.started'),
      event('session.started', { threadId: 'th', attempt: 1, worktreePath: '/w' }),
      event('session.item'),
      event('task.interrupted'),
      event('session.exited', { attempt: 1, exitCode: null, message: 'Turn aborted' }),
      event('task.resumed'),
      event('session.started', { threadId: 'th', attempt: 1, worktreePath: '/w' }),
      event('session.exited', { attempt: 1, exitCode: 0 }),
      event('task.completed'),
    ];
    expect(sessionsOf(events, 'completed')).toEqual([
      { threadId: 'th', attempt: 1, state: 'interrupted', exitCode: null, worktreePath: '/w', startedAt: at(2), endedAt: at(5), message: 'Turn aborted' },
      { threadId: 'th', attempt: 1, state: 'completed', exitCode: 0, worktreePath: '/w', startedAt: at(7), endedAt: at(8) },
    ]);
  });

  it('leaves a live turn running, whatever state the task shows: nothing is reconciled on read', () => {
    const events = [event('session.started', { threadId: 'th', attempt: 1 }), event('task.interrupted')];
    expect(sessionsOf(events, 'running')).toEqual([{ threadId: 'th', attempt: 1, state: 'running', startedAt: at(1) }]);
    expect(sessionsOf(events, 'interrupted')[0]?.state).toBe('running');
  });

  it("ends a lost worker's turn where the retry took over, and opens the retry's turn with its attempt", () => {
    const events = [
      event('session.started', { threadId: 'th', attempt: 1 }),
      event('session.recovered', { threadId: 'th', attempt: 2, worktreePath: '/w' }),
      event('session.exited', { attempt: 2, exitCode: 0 }),
    ];
    expect(sessionsOf(events, 'completed')).toEqual([
      { threadId: 'th', attempt: 1, state: 'lost', startedAt: at(1), endedAt: at(2), message: 'Its end was never recorded: the worker running it was lost' },
      { threadId: 'th', attempt: 2, state: 'completed', exitCode: 0, worktreePath: '/w', startedAt: at(2), endedAt: at(3) },
    ]);
  });

  it("gives a retry without a thread to resume the new thread's id, in one session", () => {
    const events = [
      event('session.recovered', { attempt: 2, worktreePath: '/w' }),
      event('session.started', { threadId: 'new', attempt: 2, worktreePath: '/w' }),
      event('session.exited', { attempt: 2, exitCode: 1, message: 'boom' }),
    ];
    expect(sessionsOf(events, 'failed')).toEqual([
      { threadId: 'new', attempt: 2, state: 'failed', exitCode: 1, worktreePath: '/w', startedAt: at(1), endedAt: at(3), message: 'boom' },
    ]);
  });

  it('keeps a turn that failed before its thread started, and marks lost a turn the task ended without', () => {
    expect(sessionsOf([event('session.exited', { attempt: 1, exitCode: 1, message: 'codex did not start' })], 'failed')).toEqual([
      { attempt: 1, state: 'failed', exitCode: 1, startedAt: at(1), endedAt: at(1), message: 'codex did not start' },
    ]);
    expect(sessionsOf([event('session.started', { threadId: 'th', attempt: 1 })], 'cancelled')[0]).toMatchObject({ state: 'lost' });
    expect(sessionsOf([event('task.queued')], 'queued')).toEqual([]);
  });
});
