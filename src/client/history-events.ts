import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { EVENTS_MEMO_KEY, type TaskEvent } from '../contracts/events';

type History = temporal.api.history.v1.IHistory;

/**
 * Rebuilds a task's event log from its workflow history alone: the workflow writes every batch
 * of newly appended events into history as a memo upsert (see `TaskJournal`), so reading those
 * upserts in order gives every event with its sequence number and timestamp — no worker needed.
 */
export function eventsFromHistory(history: History): TaskEvent[] {
  const events: TaskEvent[] = [];
  for (const historyEvent of history.events ?? []) {
    const payload = historyEvent.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[EVENTS_MEMO_KEY];
    if (payload) events.push(...defaultPayloadConverter.fromPayload<TaskEvent[]>(payload));
  }
  return events;
}
