import type { TaskEvent } from './events';

/** A short human description of an event, for the Web UI and the CLI. */
export function describeEvent(event: TaskEvent): string {
  const item = event.item;
  if (item) {
    switch (item.kind) {
      case 'command':
        return `$ ${item.command}${item.exitCode === undefined ? '' : ` (exit ${item.exitCode})`}`;
      case 'file_change':
        return item.changes.map((change) => `${change.kind} ${change.path}`).join(', ');
      case 'agent_message':
      case 'reasoning':
        return item.text.length > 120 ? `${item.text.slice(0, 120)}…` : item.text;
      case 'todo_list':
        return item.items.map((todo) => `[${todo.completed ? 'x' : ' '}] ${todo.text}`).join('; ');
      case 'mcp_tool_call':
        return `${item.server}.${item.tool} ${item.status}`;
      case 'web_search':
        return `search: ${item.query}`;
      case 'error':
        return item.message;
    }
  }
  if (event.errorCode) return `${event.errorCode}: ${event.message ?? ''}`;
  if (event.checks?.length)
    return event.checks
      .map((check) => `\`${check.command}\` ${check.outcome} (exit ${check.exitCode ?? '-'}, ${(check.durationMs / 1000).toFixed(1)} s)`)
      .join('; ');
  if (event.commitSha) return `commit ${event.commitSha.slice(0, 12)}`;
  if (event.usage) return `${event.usage.inputTokens} in / ${event.usage.outputTokens} out tokens`;
  return event.message ?? '';
}
