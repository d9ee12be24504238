import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SessionEventBatch, TaskEvent } from '../contracts/events';
import type {
  ApproveRequest,
  ChildStateChange,
  GraphBlock,
  GraphSessionChange,
  InterruptRequest,
  RejectRequest,
  RequestChangesRequest,
  ResumeRequest,
} from '../contracts/messages';
import type { AddSubtasksRequest } from '../contracts/graph';
import type { TaskRecord } from '../contracts/records';
import type { GraphRelease } from '../contracts/task';

/**
 * The signals, updates and queries of a task's and a graph's workflows: their names are the
 * `temporal` CLI's `--name`/`--type`, their payload schemas are in contracts/messages.ts.
 */

export type { ApproveRequest, GraphBlock, GraphRelease, InterruptRequest, RejectRequest, RequestChangesRequest, ResumeRequest };

/** The full task record. */
export const taskQuery = defineQuery<TaskRecord>('task');

/** The task's events with a sequence number greater than `afterSeq` (all when omitted). */
export const eventsQuery = defineQuery<TaskEvent[], [afterSeq?: number]>('events');

/**
 * Sent by the session activity while a turn runs (batched about once a second), so history and
 * `events --follow` show progress during the turn, not only after it.
 */
export const sessionEventsSignal = defineSignal<[SessionEventBatch]>('sessionEvents');

/** A graph parent releasing a child that was not ready when the graph started (see GraphScheduler). */
export const graphReleaseSignal = defineSignal<[GraphRelease]>('graphRelease');
/** A graph parent ending a child whose prerequisite failed. */
export const graphBlockSignal = defineSignal<[GraphBlock]>('graphBlock');

/** Stops a running session (its codex process ends) or keeps a queued task from starting. */
export const interruptSignal = defineSignal<[request?: InterruptRequest]>('interrupt');

/** A new turn on the same thread, in the same worktree: `message` or a "continue" instruction. */
export const resumeSignal = defineSignal<[request?: ResumeRequest]>('resume');

/** Updates (validated: a call in the wrong state, or with a bad payload, is refused at once and leaves no trace). */
export const approveUpdate = defineUpdate<TaskRecord, [request: ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<TaskRecord, [request: RejectRequest]>('reject');
export const requestChangesUpdate = defineUpdate<TaskRecord, [request: RequestChangesRequest]>('requestChanges');

/** Adds children to a running graph (validated: a graph that has ended, a taken id, an unknown prerequisite or a cycle is refused). */
export const addSubtasksUpdate = defineUpdate<TaskRecord, [request: AddSubtasksRequest]>('addSubtasks');
/** Closes an open graph: it ends once every child has ended. */
export const closeGraphUpdate = defineUpdate<TaskRecord, []>('closeGraph');

/** A graph child telling its parent that it no longer holds, or again holds, a graph slot. */
export const childStateSignal = defineSignal<[change: ChildStateChange]>('childState');

/**
 * A graph child's Codex turn telling the graph's parent that it has a session slot (`started`,
 * when the `runCodexTurn` activity starts) and that it is giving it up (`ended`, sent and
 * acknowledged before the activity returns, so before the slot is free): the parent's session
 * window hands out releases by these (see GraphScheduler).
 */
export const graphSessionSignal = defineSignal<[change: GraphSessionChange]>('graphSession');
