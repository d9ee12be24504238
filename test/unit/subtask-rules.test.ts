import { findSubtaskProblem, type ValidGraphChild } from '../../src/contracts/graph';

const parent = { taskId: 'g', repoPath: '/repo' };
const child = (taskId: string, dependencyTaskIds: string[] = []): ValidGraphChild => ({ taskId, prompt: taskId, priority: 0, dependencyTaskIds });
const existing = [child('a'), child('b', ['a'])];

describe('subtasks joining a graph', () => {
  it('may depend on existing children and on each other', () => {
    expect(findSubtaskProblem(parent, existing, [child('c', ['b']), child('d', ['a', 'c'])])).toBeUndefined();
  });

  it.each([
    [[child('a')], 'Task graph g already has a task a: give the subtask another id'],
    [[child('g')], 'Task graph g already has a task g: give the subtask another id'],
    [[child('c', ['x'])], 'Task graph child c depends on missing child task x'],
    [[child('c', ['d']), child('d', ['c'])], 'Task graph child dependencies contain a cycle: c -> d -> c'],
    [[child('c'), child('c')], 'Task graph contains duplicate task id c'],
    [[child('c', ['c'])], 'Task graph child c cannot depend on itself'],
  ])('refuses %j in one line', (added, problem) => {
    expect(findSubtaskProblem(parent, existing, added)).toBe(problem);
  });
});
