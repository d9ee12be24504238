import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SessionEventBatch, TaskEvent } from '../contracts/events';
import type { TaskRecord } from '../contracts/task';

/** The full task record. */
export const taskQuery = defineQuery<TaskRecord>('task');

/** The task's events with a sequence number greater than `afterSeq` (all when omitted). */
export const eventsQuery = defineQuery<TaskEvent[], [afterSeq?: number]>('events');

/**
 * Sent by the session activity while a turn runs (batched about once a second), so history and
 * `events --follow` show progress during the turn, not only after it.
 */
export const sessionEventsSignal = defineSignal<[SessionEventBatch]>('sessionEvents');
