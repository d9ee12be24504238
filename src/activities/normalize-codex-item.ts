import type { ThreadItem, Usage } from '@openai/codex-sdk' with { 'resolution-mode': 'import' };
import { COMMAND_OUTPUT_CAP_BYTES, TEXT_CAP_CHARS, type SessionItem } from '../contracts/events';
import type { TokenUsage } from '../contracts/task';

/**
 * Keeps the head and the tail of long command output (where the command and its verdict
 * usually are) within `capBytes`, so one noisy command cannot blow the 2 MB payload limit.
 */
export function capOutput(output: string, capBytes = COMMAND_OUTPUT_CAP_BYTES): Pick<Extract<SessionItem, { kind: 'command' }>, 'output' | 'outputTruncated'> {
  const bytes = Buffer.byteLength(output, 'utf8');
  if (bytes <= capBytes) return { output };
  const marker = `\n… [${bytes - capBytes} bytes cut: output capped at ${capBytes} bytes] …\n`;
  const half = Math.floor((capBytes - Buffer.byteLength(marker)) / 2);
  const buffer = Buffer.from(output, 'utf8');
  // toString drops a split multi-byte character as U+FFFD, never throws.
  const head = buffer.subarray(0, half).toString('utf8');
  const tail = buffer.subarray(bytes - half).toString('utf8');
  return { output: `${head}${marker}${tail}`, outputTruncated: { originalBytes: bytes, capBytes } };
}

function capText(text: string): { text: string; truncated?: boolean } {
  return text.length <= TEXT_CAP_CHARS ? { text } : { text: `${text.slice(0, TEXT_CAP_CHARS)}…`, truncated: true };
}

/** Maps a Codex SDK item onto the runner's own item shape (`session.item` events). */
export function normalizeCodexItem(item: ThreadItem): SessionItem {
  switch (item.type) {
    case 'command_execution':
      return {
        kind: 'command',
        id: item.id,
        command: item.command,
        status: item.status,
        ...(item.exit_code === undefined ? {} : { exitCode: item.exit_code }),
        ...capOutput(item.aggregated_output),
      };
    case 'file_change':
      return { kind: 'file_change', id: item.id, status: item.status, changes: item.changes.map(({ path, kind }) => ({ path, kind })) };
    case 'agent_message':
      return { kind: 'agent_message', id: item.id, ...capText(item.text) };
    case 'reasoning':
      return { kind: 'reasoning', id: item.id, ...capText(item.text) };
    case 'todo_list':
      return { kind: 'todo_list', id: item.id, items: item.items.map(({ text, completed }) => ({ text, completed })) };
    case 'mcp_tool_call':
      return {
        kind: 'mcp_tool_call',
        id: item.id,
        server: item.server,
        tool: item.tool,
        status: item.status,
        ...(item.error ? { error: item.error.message } : {}),
      };
    case 'web_search':
      return { kind: 'web_search', id: item.id, query: item.query };
    case 'error':
      return { kind: 'error', id: item.id, message: item.message };
  }
}

export function normalizeUsage(usage: Usage): TokenUsage {
  return {
    inputTokens: usage.input_tokens,
    cachedInputTokens: usage.cached_input_tokens,
    outputTokens: usage.output_tokens,
    reasoningOutputTokens: usage.reasoning_output_tokens,
  };
}
