import type { TaskEvent } from '../../src/contracts/events';
import { commitMessage, relocationInstruction, turnPrompt } from '../../src/workflows/turn-prompt';

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

describe('the first turn after a task moved to another host', () => {
  const event = (seq: number, item: TaskEvent['item']): TaskEvent => ({ seq, at: '2026-12-02T00:00:00.000Z', type: 'session.item', taskId: 'api', item });

  it('says what the earlier session did (its finished commands with exit codes, its last message), then the task', () => {
    const events = [
      event(1, { kind: 'command', id: 'c1', command: 'npm test', status: 'completed', exitCode: 1, output: '' }),
      event(2, { kind: 'command', id: 'c2', command: 'sleep 100', status: 'in_progress', output: '' }),
      event(3, { kind: 'agent_message', id: 'm1', text: 'Fixing the failing test next' }),
    ];
    const instruction = relocationInstruction('Add the endpoints', events, 'build-2');
    expect(instruction).toContain('on a host (build-2) that stopped answering');
    expect(instruction).toContain('Commands it ran:\n- `npm test` (exit 1)');
    expect(instruction).not.toContain('sleep 100');
    expect(instruction).toContain('Its last message:\nFixing the failing test next');
    expect(instruction.endsWith('The task:\nAdd the endpoints')).toBe(true);
  });

  it('keeps the last 30 commands, and says when the session ran none', () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      event(i + 1, { kind: 'command', id: `c${i}`, command: `step ${i}`, status: 'completed', exitCode: 0, output: '' }),
    );
    const instruction = relocationInstruction('p', many, 'h');
    expect(instruction).toContain('(the last 30)');
    expect(instruction).not.toContain('`step 9`');
    expect(instruction).toContain('`step 39`');
    expect(relocationInstruction('p', [], 'h')).toContain('It ran no command.');
  });
});
