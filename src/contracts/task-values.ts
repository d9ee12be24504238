/**
 * The fixed values of a task's fields as plain lists: its states, and the Codex sandbox modes and
 * reasoning efforts it may ask for. The schemas in `task.ts` are built from them; the CLI's help
 * lists them without loading zod.
 */

/** Task states, exactly as DESIGN.md fixes them (the reference's six plus `cancelled`). */
export const TASK_STATES = ['queued', 'running', 'awaiting_approval', 'interrupted', 'completed', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];

export function isTerminalState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high', 'xhigh'] as const;
