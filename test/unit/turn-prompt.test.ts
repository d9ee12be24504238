import { commitMessage, turnPrompt } from '../../src/workflows/turn-prompt';

const task = { taskId: 'api', repoPath: '/repo', prompt: 'Add the endpoints', priority: 0 };

describe('the first turn’s instruction', () => {
  it('is the prompt for a task of its own', () => {
    expect(turnPrompt(task)).toBe('Add the endpoints');
  });

  it('tells a graph child the overall goal, its part and whose work it builds on', () => {
    const prompt = turnPrompt({ ...task, parentTaskId: 'accounts', goal: 'Add user accounts', dependencyTaskIds: ['schema'] });
    expect(prompt).toContain('Overall goal:\nAdd user accounts');
    expect(prompt).toContain('Your part (task api):\nAdd the endpoints');
    expect(prompt).toContain('already contains the work of the tasks yours builds on: schema.');
  });
});

describe('the task’s commit message', () => {
  it('takes the prompt’s first line as the subject, at most 60 characters, and names the task', () => {
    expect(commitMessage('t1', 'Fix the typos\nin README.md')).toBe('codex-runner: Fix the typos\n\nTask: t1\n');
    const subject = commitMessage('t2', 'x'.repeat(100)).split('\n')[0]!;
    expect(subject).toBe(`codex-runner: ${'x'.repeat(59)}…`);
  });

  it('cuts a long subject at a word, not in the middle of one', () => {
    const prompt = 'Add a health check endpoint that reports the database connection state and uptime';
    expect(commitMessage('t3', prompt).split('\n')[0]).toBe('codex-runner: Add a health check endpoint that reports the database…');
  });
});
