import { z } from 'zod';
import { SessionEventSchema } from '../../src/contracts/events';
import { TaskEventSchema } from '../../src/contracts/records';
import { describeIssues } from '../../src/contracts/validation';

const Schema = z.object({ taskId: z.string(), options: z.object({ model: z.string().min(1) }).strict() }).strict();

function problem(input: unknown): string {
  const parsed = Schema.safeParse(input);
  if (parsed.success) throw new Error('expected a refusal');
  return describeIssues(parsed.error);
}

describe('describeIssues', () => {
  it('names each field once, on one line', () => {
    expect(problem({ taskId: 7, options: { model: '' } })).toBe(
      'taskId: Invalid input: expected string, received number; options.model: Too small: expected string to have >=1 characters',
    );
  });

  it('calls a missing field required, not a value of the wrong type', () => {
    expect(problem({ options: { model: 'm' } })).toBe('taskId: required (string)');
  });

  it('names unknown fields and says to remove them', () => {
    expect(problem({ taskId: 'a', options: { model: 'm', effort: 1 }, extra: true, more: 1 })).toBe(
      'options: unknown field effort (remove it); input: unknown fields extra, more (remove them)',
    );
  });
});

describe('the session events a workflow checks', () => {
  it('are task events: every field they may carry is a task event field of the same name', () => {
    const taskEventFields = Object.keys(TaskEventSchema.shape);
    expect(taskEventFields).toEqual(expect.arrayContaining(Object.keys(SessionEventSchema.shape)));
    const event = { at: '2026-12-02T10:00:00.000Z', type: 'session.item', attempt: 1, item: { kind: 'web_search', id: 'w1', query: 'zod' } } as const;
    expect(TaskEventSchema.omit({ seq: true, taskId: true }).parse(SessionEventSchema.parse(event))).toEqual(event);
  });
});
