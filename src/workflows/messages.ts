import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SessionEventBatch, TaskEvent } from '../contracts/events';
import type { GraphRelease, TaskRecord, TaskState } from '../contracts/task';
import type { ChildBlock } from './graph-scheduler';

export type { GraphRelease };

/** The full task record. */
export const taskQuery = defineQuery<TaskRecord>('task');

/** The task's events with a sequence number greater than `afterSeq` (all when omitted). */
export const eventsQuery = defineQuery<TaskEvent[], [afterSeq?: number]>('events');

/**
 * Sent by the session activity while a turn runs (batched about once a second), so history and
 * `events --follow` show progress during the turn, not only after it.
 */
export const sessionEventsSignal = defineSignal<[SessionEventBatch]>('sessionEvents');

/** What a graph parent tells a child that can never run because a prerequisite failed. */
export type GraphBlock = Omit<ChildBlock, 'taskId'>;

/** A graph parent releasing a child that was not ready when the graph started (see GraphScheduler). */
export const graphReleaseSignal = defineSignal<[GraphRelease]>('graphRelease');
/** A graph parent ending a child whose prerequisite failed. */
export const graphBlockSignal = defineSignal<[GraphBlock]>('graphBlock');

/** Stops a running session (its codex process ends) or keeps a queued task from starting. */
export const interruptSignal = defineSignal<[request?: { reason?: string }]>('interrupt');

/** A new turn on the same thread, in the same worktree: `message` or a "continue" instruction. */
export const resumeSignal = defineSignal<[request?: { message?: string }]>('resume');

export interface ApproveRequest {
  by?: string;
  comment?: string;
}
export interface RejectRequest {
  reason: string;
  by?: string;
}
export interface RequestChangesRequest {
  message: string;
  by?: string;
}

/** Updates (validated: a call in the wrong state is refused at once and leaves no trace). */
export const approveUpdate = defineUpdate<TaskRecord, [request: ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<TaskRecord, [request: RejectRequest]>('reject');
export const requestChangesUpdate = defineUpdate<TaskRecord, [request: RequestChangesRequest]>('requestChanges');

/** A graph child telling its parent that it no longer holds, or again holds, a graph slot. */
export const childStateSignal = defineSignal<[change: { taskId: string; state: TaskState }]>('childState');

/**
 * A graph child's Codex turn telling the graph's parent that it has a session slot (`started`,
 * when the `runCodexTurn` activity starts) and that it is giving it up (`ended`, sent and
 * acknowledged before the activity returns, so before the slot is free): the parent's session
 * window hands out releases by these (see GraphScheduler).
 */
export const graphSessionSignal = defineSignal<[change: { taskId: string; session: 'started' | 'ended' }]>('graphSession');
