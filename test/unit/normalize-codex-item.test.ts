import { capOutput, normalizeCodexItem } from '../../src/activities/normalize-codex-item';
import { COMMAND_OUTPUT_CAP_BYTES } from '../../src/contracts/events';

describe('capOutput', () => {
  it('keeps output under the cap as it is', () => {
    expect(capOutput('short')).toEqual({ output: 'short' });
  });

  it('keeps the head and the tail of long output within the cap and says what was cut', () => {
    const long = `HEAD${'x'.repeat(100_000)}TAIL`;
    const capped = capOutput(long);
    expect(Buffer.byteLength(capped.output)).toBeLessThanOrEqual(COMMAND_OUTPUT_CAP_BYTES);
    expect(capped.output.startsWith('HEAD')).toBe(true);
    expect(capped.output.endsWith('TAIL')).toBe(true);
    expect(capped.output).toContain(`output capped at ${COMMAND_OUTPUT_CAP_BYTES} bytes`);
    expect(capped.outputTruncated).toEqual({ originalBytes: Buffer.byteLength(long), capBytes: COMMAND_OUTPUT_CAP_BYTES });
  });
});

describe('normalizeCodexItem', () => {
  it('maps a command execution with its exit code and capped output', () => {
    expect(normalizeCodexItem({ id: 'i1', type: 'command_execution', command: 'ls', aggregated_output: 'a\n', exit_code: 0, status: 'completed' })).toEqual({
      kind: 'command',
      id: 'i1',
      command: 'ls',
      status: 'completed',
      exitCode: 0,
      output: 'a\n',
    });
  });

  it('maps file changes and todo lists', () => {
    expect(normalizeCodexItem({ id: 'f', type: 'file_change', status: 'completed', changes: [{ path: 'a.ts', kind: 'add' }] })).toEqual({
      kind: 'file_change',
      id: 'f',
      status: 'completed',
      changes: [{ path: 'a.ts', kind: 'add' }],
    });
    expect(normalizeCodexItem({ id: 't', type: 'todo_list', items: [{ text: 'x', completed: true }] })).toEqual({
      kind: 'todo_list',
      id: 't',
      items: [{ text: 'x', completed: true }],
    });
  });
});
