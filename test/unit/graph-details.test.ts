import { describeChildren } from '../../src/workflows/graph-details';
import { GraphScheduler } from '../../src/workflows/graph-scheduler';

const children = [
  { taskId: 'a', prompt: 'a', priority: 0, dependencyTaskIds: [] },
  { taskId: 'b', prompt: 'b', priority: 0, dependencyTaskIds: ['a'] },
  { taskId: 'c', prompt: 'c', priority: 0, dependencyTaskIds: ['b'] },
  { taskId: 'd', prompt: 'd', priority: 0, dependencyTaskIds: [] },
];

describe('a graph parent’s current details', () => {
  it('lists every child with its state, prerequisites and commit', () => {
    const scheduler = new GraphScheduler(children, { maxConcurrentTasks: 1, sessionWindow: false });
    scheduler.release();
    scheduler.childCompleted('a', 'a'.repeat(40));
    scheduler.release();
    const results = [
      {
        resultId: 'result-a',
        taskId: 'a',
        parentTaskId: 'g',
        classification: 'completed' as const,
        summary: 'done',
        filesChanged: [],
        commitSha: 'a'.repeat(40),
      },
    ];
    const [summary, table] = describeChildren(children, scheduler, results);
    expect(summary).toBe('**Graph:** running; 1 completed, 1 running, 2 queued');
    expect(table!.split('\n')).toEqual([
      '| child | state | after | commit |',
      '|---|---|---|---|',
      `| a | completed |  | ${'a'.repeat(12)} |`,
      '| b | running | a |  |',
      '| c | queued (waiting for its prerequisites) | b |  |',
      '| d | queued (ready, waiting for a slot) |  |  |',
    ]);
  });

  it('says why a blocked child will not run', () => {
    const scheduler = new GraphScheduler(children, { sessionWindow: false });
    scheduler.release();
    scheduler.childFailed('a', 'failed', { code: 'CODEX_TURN_FAILED', message: 'no' });
    expect(describeChildren(children, scheduler, [])[1]).toContain('| b | queued (blocked: a prerequisite failed) | a |  |');
  });
});
