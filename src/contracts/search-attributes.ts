import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';

/**
 * Custom search attributes, registered by `temporal-dev.sh` (and listed by `doctor` with the
 * commands that register them), so `temporal workflow list --query` and the Web UI can filter.
 */
export const CodexTaskState = defineSearchAttributeKey('CodexTaskState', 'KEYWORD');
export const CodexParentTaskId = defineSearchAttributeKey('CodexParentTaskId', 'KEYWORD');
export const CodexRepoPath = defineSearchAttributeKey('CodexRepoPath', 'KEYWORD');
export const CodexPriority = defineSearchAttributeKey('CodexPriority', 'INT');
/** The worker host a task is placed on (set at placement). */
export const CodexHost = defineSearchAttributeKey('CodexHost', 'KEYWORD');

/** The attributes as `temporal operator search-attribute create` names them. */
export const CUSTOM_SEARCH_ATTRIBUTES = [
  { name: CodexTaskState.name, type: 'Keyword' },
  { name: CodexParentTaskId.name, type: 'Keyword' },
  { name: CodexRepoPath.name, type: 'Keyword' },
  { name: CodexPriority.name, type: 'Int' },
  { name: CodexHost.name, type: 'Keyword' },
] as const;

/**
 * The search attributes a task's workflow starts with. The client and a graph's parent start
 * workflows with them; a workflow started with the plain `temporal workflow start` upserts the
 * ones it lacks (see TaskJournal).
 */
export function initialSearchAttributes(task: { repoPath: string; priority: number; parentTaskId?: string | undefined }): SearchAttributePair[] {
  return [
    { key: CodexTaskState, value: 'queued' },
    { key: CodexRepoPath, value: task.repoPath },
    { key: CodexPriority, value: task.priority },
    ...(task.parentTaskId ? [{ key: CodexParentTaskId, value: task.parentTaskId }] : []),
  ];
}
