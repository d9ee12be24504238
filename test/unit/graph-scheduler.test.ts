import { ErrorCode } from '../../src/contracts/errors';
import { aggregateGraphState, GraphScheduler, sessionWindowSize, type ScheduledChild } from '../../src/workflows/graph-scheduler';

const child = (taskId: string, dependencyTaskIds: string[] = [], priority = 0): ScheduledChild => ({ taskId, priority, dependencyTaskIds });
const ids = (releases: { taskId: string }[]) => releases.map((release) => release.taskId);
const turnFailed = { code: ErrorCode.codexTurnFailed, message: 'the model said no' };

/** Without the session window: the rules a caller sees when every released child gets a slot at once. */
const plain = (children: ScheduledChild[], maxConcurrentTasks?: number) => new GraphScheduler(children, { maxConcurrentTasks, sessionWindow: false });

describe('GraphScheduler: readiness and order', () => {
  it('runs a chain one link at a time, each from its prerequisite’s commit', () => {
    const scheduler = plain([child('c', ['b']), child('a'), child('b', ['a'])]);
    expect(scheduler.release()).toEqual([{ taskId: 'a', prerequisites: [], reportsSessions: false }]);
    expect(scheduler.release()).toEqual([]);
    scheduler.childCompleted('a', 'sha-a');
    expect(scheduler.release()).toEqual([{ taskId: 'b', prerequisites: [{ taskId: 'a', commitSha: 'sha-a' }], reportsSessions: false }]);
    scheduler.childCompleted('b', 'sha-b');
    expect(ids(scheduler.release())).toEqual(['c']);
    expect(scheduler.finished).toBe(false);
    scheduler.childCompleted('c', 'sha-c');
    expect(scheduler.finished).toBe(true);
    expect(scheduler.state).toBe('completed');
  });

  it('releases a fan-out at once, higher priority first, ties in input order', () => {
    const scheduler = plain([child('low', [], 1), child('high', [], 5), child('tie-1', [], 3), child('tie-2', [], 3)]);
    expect(ids(scheduler.release())).toEqual(['high', 'tie-1', 'tie-2', 'low']);
  });

  it('releases a diamond’s join only once both sides completed, building on both', () => {
    const scheduler = plain([child('top'), child('left', ['top']), child('right', ['top']), child('join', ['left', 'right'])]);
    scheduler.release();
    scheduler.childCompleted('top', 'sha-top');
    expect(ids(scheduler.release())).toEqual(['left', 'right']);
    scheduler.childCompleted('right', 'sha-right');
    expect(scheduler.release()).toEqual([]);
    scheduler.childCompleted('left', 'sha-left');
    expect(scheduler.release()).toEqual([
      {
        taskId: 'join',
        prerequisites: [
          { taskId: 'left', commitSha: 'sha-left' },
          { taskId: 'right', commitSha: 'sha-right' },
        ],
        reportsSessions: false,
      },
    ]);
  });

  it('puts a dependent that became ready before later-listed ready children', () => {
    const scheduler = plain([child('a'), child('b', ['a']), child('i1'), child('i2')], 2);
    expect(ids(scheduler.release())).toEqual(['a', 'i1']);
    scheduler.childCompleted('a', 'sha-a');
    expect(ids(scheduler.release())).toEqual(['b']);
  });
});

describe('GraphScheduler: failures', () => {
  it('blocks the rest of a chain after a failure in its middle, naming the root cause; independent children carry on', () => {
    const scheduler = plain([child('a'), child('b', ['a']), child('c', ['b']), child('d', ['c']), child('free')]);
    expect(ids(scheduler.release())).toEqual(['a', 'free']);
    scheduler.childCompleted('a', 'sha-a');
    expect(ids(scheduler.release())).toEqual(['b']);
    expect(scheduler.childFailed('b', 'failed', turnFailed)).toEqual([
      { taskId: 'c', blockedByTaskIds: ['b'], rootCause: { taskId: 'b', ...turnFailed } },
      { taskId: 'd', blockedByTaskIds: ['c'], rootCause: { taskId: 'b', ...turnFailed } },
    ]);
    expect(scheduler.release()).toEqual([]);
    expect(scheduler.state).toBe('failed');
    expect(scheduler.isBlocked('d')).toBe(true);
    scheduler.childCompleted('free', 'sha-free');
    for (const id of ['c', 'd']) scheduler.childFailed(id, 'failed', { code: ErrorCode.graphDependencyFailed, message: 'blocked' });
    expect(scheduler.finished).toBe(true);
  });

  it('names both failed prerequisites of a join, and blocks each dependent once', () => {
    const scheduler = plain([child('l'), child('r'), child('join', ['l', 'r'])]);
    scheduler.release();
    expect(ids(scheduler.childFailed('l', 'failed', turnFailed))).toEqual(['join']);
    expect(scheduler.childFailed('r', 'failed', turnFailed)).toEqual([]);
  });

  it('counts a child cancelled before it started as failed for its dependents', () => {
    const scheduler = plain([child('a', [], 1), child('b', ['a']), child('c')], 1);
    expect(ids(scheduler.release())).toEqual(['a']);
    const blocks = scheduler.childFailed('c', 'cancelled', { code: ErrorCode.cancelled, message: 'Task c was cancelled' });
    expect(blocks).toEqual([]);
    expect(scheduler.stateOf('c')).toBe('cancelled');
    expect(scheduler.childFailed('a', 'cancelled', { code: ErrorCode.cancelled, message: 'Task a was cancelled' })).toEqual([
      { taskId: 'b', blockedByTaskIds: ['a'], rootCause: { taskId: 'a', code: ErrorCode.cancelled, message: 'Task a was cancelled' } },
    ]);
  });
});

describe('GraphScheduler: maxConcurrentTasks', () => {
  it('never runs more than the limit, releasing the next when one ends', () => {
    const scheduler = plain([child('a'), child('b'), child('c')], 2);
    expect(ids(scheduler.release())).toEqual(['a', 'b']);
    expect(scheduler.release()).toEqual([]);
    scheduler.childCompleted('b', 'sha-b');
    expect(ids(scheduler.release())).toEqual(['c']);
  });

  it('frees the slot of a child awaiting approval or interrupted, and takes it back when it runs again', () => {
    const scheduler = plain([child('gated'), child('paused'), child('next-1'), child('next-2')], 2);
    expect(ids(scheduler.release())).toEqual(['gated', 'paused']);
    scheduler.childStateChanged('gated', 'awaiting_approval');
    expect(ids(scheduler.release())).toEqual(['next-1']);
    scheduler.childStateChanged('paused', 'interrupted');
    expect(ids(scheduler.release())).toEqual(['next-2']);
    scheduler.childStateChanged('gated', 'running');
    expect(scheduler.release()).toEqual([]);
    expect(scheduler.state).toBe('running');
  });

  it('ignores a state change of a child that has ended', () => {
    const scheduler = plain([child('a')], 1);
    scheduler.release();
    scheduler.childCompleted('a', 'sha-a');
    scheduler.childStateChanged('a', 'running');
    expect(scheduler.stateOf('a')).toBe('completed');
  });
});

describe('GraphScheduler: interrupt and resume of the graph', () => {
  it('releases nothing while paused, and resumes the interrupted children', () => {
    const scheduler = plain([child('a'), child('b', ['a']), child('c', ['a'])]);
    scheduler.release();
    scheduler.pause();
    scheduler.childStateChanged('a', 'interrupted');
    scheduler.childStateChanged('c', 'interrupted'); // a queued child keeps from starting
    expect(scheduler.release()).toEqual([]);
    expect(scheduler.resume()).toEqual(['a', 'c']);
    expect(scheduler.stateOf('c')).toBe('queued');
    expect(scheduler.stateOf('a')).toBe('interrupted'); // released: it says when it runs again
    scheduler.childStateChanged('a', 'running');
    scheduler.childCompleted('a', 'sha-a');
    expect(ids(scheduler.release())).toEqual(['b', 'c']);
  });
});

describe('GraphScheduler: the session window', () => {
  it('holds one release ahead of the slots while a dependent could be overtaken, and reports sessions', () => {
    const scheduler = new GraphScheduler([child('a'), child('b', ['a']), child('i1'), child('i2'), child('i3'), child('i4')]);
    expect(scheduler.release()).toEqual([{ taskId: 'a', prerequisites: [], reportsSessions: true }]);
    scheduler.sessionStarted('a');
    expect(ids(scheduler.release())).toEqual(['i1']);
    scheduler.sessionStarted('i1');
    expect(ids(scheduler.release())).toEqual(['i2']);
    // The workers have two slots: i2 waits, and nothing more is released.
    expect(scheduler.release()).toEqual([]);
  });

  it('waits for the outcome of a child that ended its session before handing out the next release', () => {
    const scheduler = new GraphScheduler([child('a'), child('b', ['a']), child('i1'), child('i2'), child('i3')]);
    scheduler.release();
    scheduler.sessionStarted('a');
    expect(ids(scheduler.release())).toEqual(['i1']);
    scheduler.sessionEnded('a');
    scheduler.sessionStarted('i1'); // i1 takes a's slot before a's outcome arrives
    expect(scheduler.release()).toEqual([]);
    scheduler.childCompleted('a', 'sha-a');
    // b goes before i2 and i3, though they were ready first.
    expect(scheduler.release()).toEqual([{ taskId: 'b', prerequisites: [{ taskId: 'a', commitSha: 'sha-a' }], reportsSessions: true }]);
  });

  it('releases the rest at once, unreported, when nothing can be overtaken any more', () => {
    const scheduler = new GraphScheduler([child('a'), child('b', ['a']), child('i1'), child('i2'), child('i3')]);
    scheduler.release();
    scheduler.sessionStarted('a');
    scheduler.release(); // i1
    scheduler.sessionStarted('i1');
    scheduler.sessionEnded('a');
    scheduler.childCompleted('a', 'sha-a');
    expect(ids(scheduler.release())).toEqual(['b']);
    scheduler.sessionStarted('b');
    expect(scheduler.release()).toEqual([
      { taskId: 'i2', prerequisites: [], reportsSessions: false },
      { taskId: 'i3', prerequisites: [], reportsSessions: false },
    ]);
  });

  it('does not apply to a graph without prerequisites', () => {
    expect(new GraphScheduler([child('a'), child('b'), child('c')]).release().map((release) => release.reportsSessions)).toEqual([false, false, false]);
  });

  it('grows with the slots the workers give: one more waiting child per four in session', () => {
    expect([0, 1, 4, 5, 8, 9].map(sessionWindowSize)).toEqual([1, 1, 1, 2, 2, 3]);
    const independent = Array.from({ length: 12 }, (_, i) => child(`i${i}`));
    const scheduler = new GraphScheduler([child('a'), child('b', ['a']), ...independent]);
    let inSession = 0;
    for (let round = 0; round < 5; round++) {
      for (const release of scheduler.release()) {
        scheduler.sessionStarted(release.taskId);
        inSession++;
      }
    }
    expect(inSession).toBe(5);
    expect(ids(scheduler.release())).toHaveLength(2);
  });

  it('ignores session reports of a child it did not release or that stopped running', () => {
    const scheduler = new GraphScheduler([child('a'), child('b', ['a']), child('i1'), child('i2')]);
    scheduler.sessionStarted('i2'); // not released: no effect
    expect(ids(scheduler.release())).toEqual(['a']);
    scheduler.sessionStarted('a');
    scheduler.childStateChanged('a', 'awaiting_approval'); // its session is over; it holds no slot
    scheduler.sessionEnded('a');
    expect(ids(scheduler.release())).toEqual(['i1']);
  });
});

describe('aggregateGraphState', () => {
  it('follows the reference rule, first match wins', () => {
    expect(aggregateGraphState(['completed', 'failed', 'running'])).toBe('failed');
    expect(aggregateGraphState(['completed', 'cancelled'])).toBe('failed');
    expect(aggregateGraphState(['completed', 'completed'])).toBe('completed');
    expect(aggregateGraphState(['running', 'awaiting_approval', 'queued'])).toBe('awaiting_approval');
    expect(aggregateGraphState(['queued', 'interrupted', 'running'])).toBe('running');
    expect(aggregateGraphState(['queued', 'interrupted'])).toBe('interrupted');
    expect(aggregateGraphState(['queued'])).toBe('queued');
    expect(aggregateGraphState([])).toBe('queued');
  });
});

describe('subtasks added while the graph runs', () => {
  it('are queued, and ready once their prerequisites completed, completed ones included', () => {
    const scheduler = new GraphScheduler([child('a')]);
    expect(scheduler.release().map((release) => release.taskId)).toEqual(['a']);
    scheduler.childCompleted('a', 'a'.repeat(40));
    expect(scheduler.finished).toBe(true);
    expect(scheduler.add([child('b', ['a'])])).toEqual([]);
    expect(scheduler.finished).toBe(false);
    expect(scheduler.release()).toEqual([{ taskId: 'b', prerequisites: [{ taskId: 'a', commitSha: 'a'.repeat(40) }], reportsSessions: true }]);
  });

  it('are blocked at once when a prerequisite has failed, with its root cause', () => {
    const scheduler = new GraphScheduler([child('a')]);
    scheduler.release();
    scheduler.childFailed('a', 'failed', { code: ErrorCode.codexTurnFailed, message: 'boom' });
    expect(scheduler.add([child('b', ['a']), child('c')])).toEqual([
      { taskId: 'b', blockedByTaskIds: ['a'], rootCause: { taskId: 'a', code: ErrorCode.codexTurnFailed, message: 'boom' } },
    ]);
    expect(scheduler.release().map((release) => release.taskId)).toEqual(['c']);
  });
});
