import { spread } from '../../scripts/bench/report';
import { assertOnePrerequisite, inRounds, SHAPES } from '../../scripts/bench/shapes';

// The baseline and the floor run their tasks by the graph's own rules: test/unit/graph-scheduler.test.ts.
describe('the graphs the baseline and the floor run', () => {
  it('refuses a task with two prerequisites', () => {
    const task = (taskId: string, dependencyTaskIds: string[] = []) => ({ taskId, dependencyTaskIds });
    expect(() => assertOnePrerequisite([task('a'), task('b'), task('c', ['a', 'b'])])).toThrow('one prerequisite per task');
    expect(() => assertOnePrerequisite([task('a'), task('b', ['a'])])).not.toThrow();
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
