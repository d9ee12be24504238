/**
 * The agent of the offline worker (`codex-runner worker --scripted-model`): a stand-in for the
 * model that needs no network and no credential, so every command can be tried by hand.
 *
 * It reads the turn's instruction (the last prompt in the conversation codex sends) and has codex
 * run each of its lines that starts with `$ `, one command per model request, in the task's
 * worktree, then ends the turn with a message naming what ran. An instruction without such lines
 * gets one command that appends the instruction's first line to {@link NOTES_FILE}, so every turn
 * changes the worktree and the task has a commit to review.
 *
 * It is stateless: which command comes next follows from the function calls codex has already
 * sent back after the instruction, so a resumed thread, an interrupted turn and a restarted
 * worker all pick up where the conversation says.
 */
import { contentText, exec, say, type RecordedRequest, type ResponseInputItem, type Step } from './scripted-model-server';

/** The file a turn without `$ ` lines writes to. */
export const NOTES_FILE = 'scripted-model-notes.md';

/**
 * How long codex waits for each command before the turn moves on: codex's own upper bound.
 * A command still running then is stopped when the turn ends.
 */
export const COMMAND_TIME_LIMIT_MS = 30_000;

const COMMAND_LINE = /^\s*\$ (.+)$/;

/**
 * Whether a user message is codex's own context rather than an instruction: codex wraps what it
 * adds (`<environment_context>`, `<user_instructions>`, a repository's AGENTS.md) in tags or
 * headings of its own.
 */
function isCodexContext(message: string): boolean {
  const start = message.trimStart();
  return start.startsWith('<') || start.startsWith('# AGENTS.md instructions');
}

/** Where the turn's instruction is in `input`, and its text; `undefined` when there is none. */
function lastInstruction(input: readonly ResponseInputItem[]): { index: number; text: string } | undefined {
  for (let index = input.length - 1; index >= 0; index--) {
    const item = input[index]!;
    if (item.type !== 'message' || item.role !== 'user') continue;
    const message = contentText(item.content);
    if (!isCodexContext(message)) return { index, text: message };
  }
  return undefined;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** What the agent does for an instruction: the commands it has codex run, and its final message. */
export interface TurnPlan {
  commands: string[];
  finalMessage: string;
}

const SIGNATURE = 'Scripted model (no model was asked)';

/** The plan for an instruction: its `$ ` lines, or a note of the instruction. */
export function planFor(instruction: string): TurnPlan {
  const commands = instruction
    .split('\n')
    .map((line) => COMMAND_LINE.exec(line)?.[1]?.trim())
    .filter((command): command is string => command !== undefined && command !== '');
  if (commands.length > 0) return { commands, finalMessage: `${SIGNATURE}: ran ${commands.map((command) => `\`${command}\``).join(', ')}.` };
  const firstLine = instruction.trim().split('\n')[0]!.slice(0, 200);
  return {
    commands: [`printf '%s\\n' ${shellQuote(`- ${firstLine}`)} >> ${NOTES_FILE}`],
    finalMessage: `${SIGNATURE}: noted the instruction in ${NOTES_FILE}. Lines that start with \`$ \` are run as commands.`,
  };
}

/** The offline agent's answer to one model request. */
export function offlineAgentStep(request: Pick<RecordedRequest, 'input'>): Step {
  const instruction = lastInstruction(request.input);
  if (instruction === undefined) return say('Scripted model: there was no instruction to follow.');
  const { commands, finalMessage } = planFor(instruction.text);
  const ran = request.input.slice(instruction.index + 1).filter((item) => item.type === 'function_call').length;
  const next = commands[ran];
  return next === undefined ? say(finalMessage) : exec(next, { yieldTimeMs: COMMAND_TIME_LIMIT_MS });
}
