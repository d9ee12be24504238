import { ReadyQueue } from '../../scripts/bench/ready-queue';
import { spread } from '../../scripts/bench/report';
import { inRounds, SHAPES } from '../../scripts/bench/shapes';

const task = (taskId: string, prerequisite?: string) => ({ taskId, dependencyTaskIds: prerequisite ? [prerequisite] : [] });

/** Takes every ready task, in the order the queue gives them. */
const takeAll = (queue: ReadyQueue<ReturnType<typeof task>>) => {
  const taken: { taskId: string; base: string }[] = [];
  for (let next = queue.take(); next; next = queue.take()) taken.push({ taskId: next.task.taskId, base: next.base });
  return taken;
};

describe('the order the baseline and the floor run tasks in (ReadyQueue)', () => {
  it('puts a dependent that became ready before later-listed ready tasks, starting from its prerequisite’s commit', () => {
    // a → b listed first, as the bench lists its chains; i1, i2 independent.
    const queue = new ReadyQueue([task('a'), task('b', 'a'), task('i1'), task('i2')], 'base');
    expect(queue.take()).toEqual({ task: task('a'), base: 'base' });
    expect(queue.take()).toEqual({ task: task('i1'), base: 'base' });
    queue.done('a', 'sha-a');
    expect(takeAll(queue)).toEqual([
      { taskId: 'b', base: 'sha-a' },
      { taskId: 'i2', base: 'base' },
    ]);
    expect(queue.allDone).toBe(false);
    for (const id of ['i1', 'b', 'i2']) queue.done(id, `sha-${id}`);
    expect(queue.allDone).toBe(true);
    expect(queue.hasReady).toBe(false);
  });

  it('refuses a task with two prerequisites', () => {
    expect(() => ReadyQueue.check([task('a'), task('b'), { taskId: 'c', dependencyTaskIds: ['a', 'b'] }])).toThrow('one prerequisite per task');
    expect(() => new ReadyQueue([{ taskId: 'c', dependencyTaskIds: ['a', 'b'] }], 'base')).toThrow('one prerequisite per task');
  });
});

describe('the benchmark’s rounds', () => {
  it('gives each round ids of its own and remembers which shape it is a round of', () => {
    const ref = SHAPES.find((shape) => shape.name === 'ref')!;
    expect(inRounds([ref], 1)).toEqual([ref]);
    expect(inRounds([ref], 2).map(({ name, round }) => ({ name, round }))).toEqual([
      { name: 'ref.r1', round: { of: 'ref', index: 1 } },
      { name: 'ref.r2', round: { of: 'ref', index: 2 } },
    ]);
  });

  it('judges a target on the median over the rounds, printed with the range', () => {
    expect(spread([1.7, 1.2, 1.5])?.median).toBe(1.5);
    // An even count takes the mean of the middle two, not the lower one.
    expect(spread([1.38, 1.69])?.median).toBeCloseTo(1.535);
    expect(spread([1.69, undefined, 1.39])?.format(2)).toBe('1.54 [1.39-1.69]');
    expect(spread([1.6])?.format(2)).toBe('1.60');
    expect(spread([undefined])).toBeUndefined();
  });
});
