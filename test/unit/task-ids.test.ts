import { execFileSync } from 'node:child_process';
import { DEFAULT_TASK_QUEUE, sessionTaskQueue, TASK_QUEUE_RULE, taskQueueProblem } from '../../src/contracts/ids';
import { TaskIdSchema } from '../../src/contracts/task';

/** Whether git takes `name` as a branch name. */
const gitTakesBranch = (name: string) => {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('task ids', () => {
  const candidates = ['a', 'task-1', 'v1.2.3', 'A_b-c.d', 'a..b', 'x.lock', 'x.lock.y', 'trailing.', 'a.', '9', 'a.-b', 'a-.b', 'lock', 'a.b..c', 'a_.lock'];

  it.each(candidates)('%s is a task id exactly when git takes it in plato/task-<id> and plato/graph-<id>', (id) => {
    const git = gitTakesBranch(`plato/task-${id}`) && gitTakesBranch(`plato/graph-${id}`);
    expect(TaskIdSchema.safeParse(id).success).toBe(git);
  });

  it('names the rule in one line', () => {
    const result = TaskIdSchema.safeParse('a..b');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^task id must start with a letter or digit .* no "\.\.", no trailing "\." and no "\.lock" ending/);
  });

  it('refuses what the path and workflow id would not survive', () => {
    for (const id of ['../escape', 'a/b', 'a b', '', '-a', '.a', 'x'.repeat(65)]) expect(TaskIdSchema.safeParse(id).success).toBe(false);
  });
});

describe('task queue names', () => {
  it('takes the default, names with dots, colons and slashes, and a session queue named after each', () => {
    for (const name of [DEFAULT_TASK_QUEUE, 'codex-runner-demo-m4x1', 'team.a:pool/1', 'x'.repeat(200)]) expect(taskQueueProblem(name)).toBeUndefined();
    expect(sessionTaskQueue(DEFAULT_TASK_QUEUE)).toBe('codex-runner-sessions');
  });

  it('refuses empty, spaced, control-character and overlong names, naming the field and the rule', () => {
    for (const name of ['', ' q', 'a b', 'a\nb', '-q', 'x'.repeat(201)]) expect(taskQueueProblem(name)).toBeDefined();
    expect(taskQueueProblem('a b', '--task-queue')).toBe(`--task-queue "a b" ${TASK_QUEUE_RULE}`);
  });
});
