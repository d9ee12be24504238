import type { Priority } from '@temporalio/common';

/**
 * Maps a task priority (any integer, higher first) onto Temporal's priority keys (1–5, lower
 * first, 3 the default). Across independent tasks the ordering is therefore approximate: five
 * bands, enforced per task-queue partition. Within a graph the parent orders children exactly.
 */
export function temporalPriority(priority: number): Priority {
  if (priority >= 100) return { priorityKey: 1 };
  if (priority > 0) return { priorityKey: 2 };
  if (priority === 0) return { priorityKey: 3 };
  if (priority > -100) return { priorityKey: 4 };
  return { priorityKey: 5 };
}
