import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes, registered by `temporal-dev.sh` (and listed by `doctor` with the
 * commands that register them), so `temporal workflow list --query` and the Web UI can filter.
 */
export const CodexTaskState = defineSearchAttributeKey('CodexTaskState', 'KEYWORD');
export const CodexParentTaskId = defineSearchAttributeKey('CodexParentTaskId', 'KEYWORD');
export const CodexRepoPath = defineSearchAttributeKey('CodexRepoPath', 'KEYWORD');
export const CodexPriority = defineSearchAttributeKey('CodexPriority', 'INT');

export const CUSTOM_SEARCH_ATTRIBUTES = [
  { name: 'CodexTaskState', type: 'Keyword' },
  { name: 'CodexParentTaskId', type: 'Keyword' },
  { name: 'CodexRepoPath', type: 'Keyword' },
  { name: 'CodexPriority', type: 'Int' },
] as const;
