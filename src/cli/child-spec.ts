import type { GraphChildInput } from '../contracts/graph';

export class ChildSpecError extends Error {}

/**
 * Parses a `--child` value, as the reference CLI does: a JSON object (`taskId`, `prompt`,
 * `priority`, `dependencyTaskIds` or its alias `dependencies`, `repoPath`, `codex`), or
 * `taskId:prompt[:priority]`, where the part after the last colon is a priority only when it
 * is an integer, so prompts may contain colons and URLs.
 */
export function parseChildSpec(spec: string): GraphChildInput {
  const trimmed = spec.trim();
  if (trimmed.startsWith('{')) return parseJsonChild(trimmed);
  const separator = trimmed.indexOf(':');
  if (separator <= 0) throw new ChildSpecError('--child must use JSON or taskId:prompt[:priority]');
  const taskId = trimmed.slice(0, separator).trim();
  let prompt = trimmed.slice(separator + 1);
  let priority: number | undefined;
  const last = prompt.lastIndexOf(':');
  if (last >= 0 && /^-?\d+$/.test(prompt.slice(last + 1).trim())) {
    priority = Number.parseInt(prompt.slice(last + 1).trim(), 10);
    prompt = prompt.slice(0, last);
  }
  prompt = prompt.trim();
  if (taskId === '' || prompt === '') throw new ChildSpecError('--child must use JSON or taskId:prompt[:priority]');
  return { taskId, prompt, ...(priority === undefined ? {} : { priority }) };
}

function parseJsonChild(text: string): GraphChildInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ChildSpecError(`Invalid JSON child spec: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ChildSpecError('JSON child spec must be an object');
  const { dependencies, ...rest } = value as Record<string, unknown>;
  if (dependencies !== undefined && rest.dependencyTaskIds === undefined) rest.dependencyTaskIds = dependencies;
  if (typeof rest.taskId !== 'string' || rest.taskId === '') throw new ChildSpecError('JSON child spec requires taskId');
  if (typeof rest.prompt !== 'string' || rest.prompt === '') throw new ChildSpecError('JSON child spec requires prompt');
  // The remaining fields are checked by the graph schema, which names each bad one.
  return rest as unknown as GraphChildInput;
}
