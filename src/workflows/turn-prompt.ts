import { contextInstructions } from '../contracts/context-package';
import type { TaskEvent } from '../contracts/events';
import type { ValidTaskWorkflowInput } from '../contracts/task';

/** The instruction of a turn that resumes a thread without an operator's message. */
export const CONTINUE_INSTRUCTION = 'Continue the task where you left off.';

/** The first turn of a retried run, on the earlier run's thread: the operator's message, or the ask to finish. */
export function retryInstruction(reason: string | undefined, message: string | undefined): string {
  if (message) return message;
  return `Your previous run of this task ended${reason ? ` (${reason})` : ''}. Check the state of the working directory and finish the task.`;
}

/** The instruction of a turn retried on its thread after a model outage cut the last one off. */
export function outageInstruction(reason: string): string {
  return `Your previous turn was cut off (${reason}). Check the state of the working directory and continue the task where you left off.`;
}

/** The first turn's instruction: the prompt with its context; a graph child also learns the overall goal and that it works on one part of it. */
export function turnPrompt(input: ValidTaskWorkflowInput): string {
  const context = input.contextPackage ? contextInstructions(input.contextPackage) : '';
  const withContext = (prompt: string) => (context ? `${prompt}\n\n${context}` : prompt);
  if (input.goal === undefined) return withContext(input.prompt);
  const prerequisites = input.dependencyTaskIds?.length
    ? `\n\nYour working directory already contains the work of the tasks yours builds on: ${input.dependencyTaskIds.join(', ')}.`
    : '';
  return withContext(
    [
      'You are one of several agents working toward a larger goal; each works on its own part, on its own branch.',
      `Overall goal:\n${input.goal}`,
      `Your part (task ${input.taskId}):\n${input.prompt}${prerequisites}`,
    ].join('\n\n'),
  );
}

/**
 * The task's commit message: the prompt's first line as the subject (at most 60 characters, cut
 * at a word boundary when one is not too far back), the task id in the body.
 */
export function commitMessage(taskId: string, prompt: string): string {
  const firstLine = prompt.split('\n')[0]!.trim();
  return `codex-runner: ${firstLine.length > 60 ? `${cutAtWord(firstLine, 59)}…` : firstLine}\n\nTask: ${taskId}\n`;
}

/** At most `max` characters of `text`, ending at the last space within them unless that loses more than a third. */
function cutAtWord(text: string, max: number): string {
  const space = text.lastIndexOf(' ', max);
  return (space >= (max * 2) / 3 ? text.slice(0, space) : text.slice(0, max)).trimEnd();
}

/** Commands of the earlier session a relocated task's first turn is told about: its last ones. */
const RELOCATION_COMMANDS = 30;

/**
 * The first turn of a task that moved to another host (its host stopped answering, and its Codex
 * thread stayed there): the task's prompt, what the earlier session did as its events recorded
 * it (its commands with their exit codes, its last message), and the ask to check the working
 * directory before going on.
 */
export function relocationInstruction(prompt: string, events: readonly TaskEvent[], lostHost: string): string {
  const commands = events.flatMap((event) =>
    event.item?.kind === 'command' && event.item.status !== 'in_progress'
      ? [`- \`${event.item.command}\`${event.item.exitCode === undefined ? '' : ` (exit ${event.item.exitCode})`}`]
      : [],
  );
  const lastMessage = [...events].reverse().find((event) => event.item?.kind === 'agent_message')?.item;
  const earlier = [
    commands.length > 0
      ? `Commands it ran${commands.length > RELOCATION_COMMANDS ? ` (the last ${RELOCATION_COMMANDS})` : ''}:\n${commands.slice(-RELOCATION_COMMANDS).join('\n')}`
      : 'It ran no command.',
    lastMessage?.kind === 'agent_message' ? `Its last message:\n${lastMessage.text}` : undefined,
  ].filter((part) => part !== undefined);
  return [
    `This task was being worked on by another session, on a host (${lostHost}) that stopped answering; you take it over in a new session. What that session did:`,
    ...earlier,
    'Check the state of the working directory (what is committed and what is not), then finish the task.',
    `The task:\n${prompt}`,
  ].join('\n\n');
}
