import { planFor, COMMAND_TIME_LIMIT_MS, NOTES_FILE, offlineAgentStep } from '../../src/scripted-model/offline-agent';
import type { ResponseInputItem } from '../../src/scripted-model/scripted-model-server';

const user = (text: string): ResponseInputItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const call = (cmd: string): ResponseInputItem => ({ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd }) });
const output = (text: string): ResponseInputItem => ({ type: 'function_call_output', output: text });
const context = user('<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>');

describe('the offline agent', () => {
  it("runs the instruction's `$ ` lines one per request, then says what ran", () => {
    const instruction = user('Build it\n$ npm ci\n  $ npm test\nnot a $ command');
    expect(offlineAgentStep({ input: [context, instruction] })).toEqual({ kind: 'exec', cmd: 'npm ci', yieldTimeMs: COMMAND_TIME_LIMIT_MS });
    expect(offlineAgentStep({ input: [context, instruction, call('npm ci'), output('ok')] })).toMatchObject({ kind: 'exec', cmd: 'npm test' });
    expect(offlineAgentStep({ input: [context, instruction, call('npm ci'), output('ok'), call('npm test'), output('ok')] })).toEqual({
      kind: 'say',
      text: 'Scripted model (no model was asked): ran `npm ci`, `npm test`.',
    });
  });

  it("follows the latest instruction of a resumed thread, not codex's context after it", () => {
    const input = [context, user('$ sleep 30'), call('sleep 30'), user('$ echo resumed'), user('<turn_aborted>')];
    expect(offlineAgentStep({ input })).toMatchObject({ kind: 'exec', cmd: 'echo resumed' });
  });

  it('notes an instruction without commands, quoted for the shell', () => {
    expect(planFor("Fix the user's bug\nmore detail")).toEqual({
      commands: [`printf '%s\\n' '- Fix the user'\\''s bug' >> ${NOTES_FILE}`],
      finalMessage: `Scripted model (no model was asked): noted the instruction in ${NOTES_FILE}. Lines that start with \`$ \` are run as commands.`,
    });
  });

  it('answers a request without any instruction', () => {
    expect(offlineAgentStep({ input: [context] })).toEqual({ kind: 'say', text: 'Scripted model: there was no instruction to follow.' });
  });
});
