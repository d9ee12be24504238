import { z } from 'zod';
import { ContextArtifactSchema, ContextPackageSchema, ContextSourceSchema } from '../contracts/context-package';
import { GraphChildInputSchema } from '../contracts/graph';
import {
  ApprovalRecordSchema,
  GraphSynthesisSchema,
  ResultClassificationSchema,
  TaskEventSchema,
  TaskRecordSchema,
  TaskSessionSchema,
  WorkerResultSchema,
} from '../contracts/records';
import { PrioritySchema, StartTaskInputSchema, TaskIdSchema, TaskStateSchema } from '../contracts/task';

/**
 * The backend-neutral contracts Plato codes against (the reference's `@plato/orchestration`):
 * tasks live in a `workspacePath`, and every record and event says which agent runtime and
 * backend executes it. Nothing here knows Temporal or Codex; an {@link AgentRuntime} adapts a
 * backend to these shapes. Each schema is derived from the runner's own (`src/contracts/`), so a
 * field means the same on both sides of the boundary.
 *
 * Code written against the reference's interfaces compiles against these: every field the
 * reference requires is required here and has its type; what codex-runner adds is optional (the
 * codex runtime fills it, another runtime may not), and codes are plain strings, since another
 * backend has codes of its own.
 */

/** The reference's six states plus `cancelled` (an operator cancel), as in the runner. */
export const OrchestrationTaskStateSchema = TaskStateSchema;
export type OrchestrationTaskState = z.infer<typeof OrchestrationTaskStateSchema>;

/** A graph's aggregate state: a task state, `cancelled` excepted (a cancelled child fails its graph). */
export const OrchestrationGraphStateSchema = TaskEventSchema.shape.graphState.unwrap();
export type OrchestrationGraphState = z.infer<typeof OrchestrationGraphStateSchema>;

export const OrchestrationResultClassificationSchema = ResultClassificationSchema;
export type OrchestrationResultClassification = z.infer<typeof OrchestrationResultClassificationSchema>;

const RuntimeIdSchema = z.string().trim().min(1, 'runtimeId must not be empty');

/** Which registered agent runtime a call goes to. */
export const AgentRuntimeSelectorSchema = z.object({ runtimeId: RuntimeIdSchema }).strict();
export type AgentRuntimeSelector = z.infer<typeof AgentRuntimeSelectorSchema>;

/** Who executes a task: the runtime that owns it, its backend, and the task's id in that backend (the codex runtime always gives it). */
export const OrchestrationTaskExecutionSchema = z
  .object({
    runtimeId: RuntimeIdSchema,
    backend: z.string().min(1),
    backendTaskId: z.string().min(1).optional(),
  })
  .strict();
export type OrchestrationTaskExecution = z.infer<typeof OrchestrationTaskExecutionSchema>;

// Context packages are the reference's, field for field, and the runner's own schemas serve
// here too, so a package that is too large (it travels in workflow history) is refused up front.
export const OrchestrationContextSourceSchema = ContextSourceSchema;
export type OrchestrationContextSource = z.infer<typeof OrchestrationContextSourceSchema>;
export const OrchestrationContextArtifactSchema = ContextArtifactSchema;
export type OrchestrationContextArtifact = z.infer<typeof OrchestrationContextArtifactSchema>;
export const OrchestrationContextPackageInputSchema = ContextPackageSchema;
/** A context package as a runtime receives it (the reference's: both lists present). */
export type OrchestrationContextPackageInput = z.output<typeof OrchestrationContextPackageInputSchema>;
/** A context package as a caller of the orchestration service may send it: lists left out are empty. */
export type OrchestrationContextPackageRequest = z.input<typeof OrchestrationContextPackageInputSchema>;

const WorkspacePathSchema = z.string().trim().min(1, 'workspacePath must not be empty');

/** Marks a task as a graph child: its parent and prerequisites. */
export const OrchestrationTaskDecompositionSchema = z
  .object({
    kind: z.literal('subtask'),
    parentTaskId: TaskRecordSchema.shape.parentTaskId.unwrap(),
    dependencyTaskIds: TaskRecordSchema.shape.dependencyTaskIds,
  })
  .strict();
export type OrchestrationTaskDecomposition = z.infer<typeof OrchestrationTaskDecompositionSchema>;

/** Start one task: the runner's input, in a `workspacePath`. `taskId` may be left out: the orchestration service then picks a new one. */
export const StartOrchestrationTaskInputSchema = StartTaskInputSchema.pick({
  taskId: true,
  prompt: true,
  contextPackage: true,
  requireApproval: true,
  approvalTimeout: true,
})
  .extend({
    workspacePath: WorkspacePathSchema,
    priority: PrioritySchema.optional(),
    agent: AgentRuntimeSelectorSchema.optional(),
    /** A subtask of a running graph: the task is added to the graph `parentTaskId`, after `dependencyTaskIds`. */
    decomposition: OrchestrationTaskDecompositionSchema.partial({ dependencyTaskIds: true }).optional(),
  })
  .strict();
/** What a caller of the orchestration service starts a task with; `taskId` defaults to a new UUID. */
export type StartOrchestrationTaskRequest = z.input<typeof StartOrchestrationTaskInputSchema>;
/** What a runtime is asked to start (the reference's input): by then the task has its id, and its context package both lists. */
export type StartOrchestrationTaskInput = Omit<StartOrchestrationTaskRequest, 'taskId' | 'contextPackage'> & {
  taskId: string;
  contextPackage?: OrchestrationContextPackageInput;
};

/** One child of a graph. Without `workspacePath` it works in its parent's workspace. */
export const CreateOrchestrationGraphChildInputSchema = GraphChildInputSchema.pick({
  taskId: true,
  prompt: true,
  contextPackage: true,
  requireApproval: true,
})
  .extend({
    workspacePath: WorkspacePathSchema.optional(),
    priority: PrioritySchema.optional(),
    dependencyTaskIds: z.array(TaskIdSchema).optional(),
  })
  .strict();
/** A graph child as a caller of the orchestration service may send it. */
export type CreateOrchestrationGraphChildRequest = z.input<typeof CreateOrchestrationGraphChildInputSchema>;
/** A graph child as a runtime receives it (the reference's input). */
export type CreateOrchestrationGraphChildInput = Omit<CreateOrchestrationGraphChildRequest, 'contextPackage'> & {
  contextPackage?: OrchestrationContextPackageInput;
};

export const CreateOrchestrationGraphInputSchema = z
  .object({
    parent: StartOrchestrationTaskInputSchema,
    children: z.array(CreateOrchestrationGraphChildInputSchema),
    /** How many of this graph's tasks run at once (default: no limit but the backend's). */
    maxConcurrentTasks: z.number().int().min(1).optional(),
  })
  .strict();
/** What a caller of the orchestration service starts a graph with; the parent's `taskId` defaults to a new UUID. */
export type CreateOrchestrationGraphRequest = z.input<typeof CreateOrchestrationGraphInputSchema>;
/** What a runtime is asked to start (the reference's input): the parent has its id. */
export type CreateOrchestrationGraphInput = Omit<CreateOrchestrationGraphRequest, 'parent' | 'children'> & {
  parent: StartOrchestrationTaskInput;
  children: CreateOrchestrationGraphChildInput[];
};

/** A pending or decided approval: what the approver sees (the agent's final message as `summary`) and what they decided. */
export const OrchestrationApprovalSchema = ApprovalRecordSchema.pick({ requestedAt: true, diffStat: true, decision: true })
  .extend({ summary: ApprovalRecordSchema.shape.finalMessage })
  .strict();
export type OrchestrationApproval = z.infer<typeof OrchestrationApprovalSchema>;

/** A code and a message, for any backend's codes. */
const OrchestrationFailureSchema = z.object({ code: z.string(), message: z.string() }).strict();

/**
 * A task record in a `workspacePath`, its Codex thread as the backend's session
 * (`activeSessionId`). The reference's fields, then codex-runner's: the branch and commit of the
 * work, the agent's last message, why it failed, the approval, and when it was created and last
 * changed.
 */
export const OrchestrationTaskRecordSchema = TaskRecordSchema.pick({
  taskId: true,
  prompt: true,
  priority: true,
  state: true,
  worktreePath: true,
  branchName: true,
  commitSha: true,
  finalMessage: true,
})
  .extend({
    workspacePath: TaskRecordSchema.shape.repoPath,
    activeSessionId: TaskRecordSchema.shape.threadId,
    decomposition: OrchestrationTaskDecompositionSchema.optional(),
    failure: OrchestrationFailureSchema.optional(),
    approval: OrchestrationApprovalSchema.optional(),
    createdAt: TaskRecordSchema.shape.createdAt.optional(),
    updatedAt: TaskRecordSchema.shape.updatedAt.optional(),
    execution: OrchestrationTaskExecutionSchema,
  })
  .strict();
export type OrchestrationTaskRecord = z.infer<typeof OrchestrationTaskRecordSchema>;

export const OrchestrationTaskGraphSnapshotSchema = z
  .object({
    parent: OrchestrationTaskRecordSchema,
    children: z.array(OrchestrationTaskRecordSchema),
    /** Each child's prerequisites, by child id (codex-runner's addition). */
    dependencies: z.record(z.string(), z.array(z.string())).optional(),
    state: OrchestrationGraphStateSchema,
  })
  .strict();
export type OrchestrationTaskGraphSnapshot = z.infer<typeof OrchestrationTaskGraphSnapshotSchema>;

const MetadataSchema = z.record(z.string(), z.unknown());

/** What one finished child contributed to its graph; the runner's detail (files, commit, tokens) in `metadata`. */
export const OrchestrationTaskResultRecordSchema = WorkerResultSchema.pick({
  resultId: true,
  taskId: true,
  parentTaskId: true,
  classification: true,
  summary: true,
})
  .extend({ errorCode: z.string().optional(), metadata: MetadataSchema.optional(), execution: OrchestrationTaskExecutionSchema.optional() })
  .strict();
export type OrchestrationTaskResultRecord = z.infer<typeof OrchestrationTaskResultRecordSchema>;

/** The graph's one final outcome, once every child is terminal; the graph branch and conflicts in `metadata`. */
export const OrchestrationSynthesisRecordSchema = GraphSynthesisSchema.pick({
  synthesisId: true,
  parentTaskId: true,
  classification: true,
  summary: true,
  childTaskCount: true,
  resultIds: true,
})
  .extend({ metadata: MetadataSchema.optional(), execution: OrchestrationTaskExecutionSchema.optional() })
  .strict();
export type OrchestrationSynthesisRecord = z.infer<typeof OrchestrationSynthesisRecordSchema>;

export const OrchestrationTaskGraphResultSnapshotSchema = z
  .object({
    parentTaskId: z.string(),
    results: z.array(OrchestrationTaskResultRecordSchema),
    synthesis: OrchestrationSynthesisRecordSchema.optional(),
  })
  .strict();
export type OrchestrationTaskGraphResultSnapshot = z.infer<typeof OrchestrationTaskGraphResultSnapshotSchema>;

/**
 * One event of a task: the reference's flat fields (its event names are kept, so `type` is a
 * free string), with `runtimeId` and `backend`; then codex-runner's per-task sequence number,
 * timestamp, the task's state after the event and the full execution identity. Backend-specific
 * detail (a Codex item, token usage, a commit) is in `metadata`. The codex runtime leaves out
 * the reference fields it has nothing for (`pid`, `approvalRequestId`, `requestedAction`,
 * `recoveredState`: it reconciles nothing).
 */
export const OrchestrationEventSchema = TaskEventSchema.pick({
  taskId: true,
  parentTaskId: true,
  childTaskId: true,
  dependencyTaskId: true,
  dependencyTaskIds: true,
  blockedByTaskIds: true,
  worktreePath: true,
  graphState: true,
  resultId: true,
  synthesisId: true,
  resultClassification: true,
  message: true,
  exitCode: true,
  verificationId: true,
})
  .extend({
    type: z.string(),
    runtimeId: z.string(),
    backend: z.string(),
    sessionId: TaskEventSchema.shape.threadId,
    approvalRequestId: z.string().optional(),
    requestedAction: z.string().optional(),
    errorCode: z.string().optional(),
    stream: TaskEventSchema.shape.stream,
    pid: z.number().int().optional(),
    /** A verification that could not run is `failed` here, with `errorCode` `TASK_VERIFICATION_ERRORED`, as in the reference. */
    verificationStatus: z.enum(['passed', 'failed']).optional(),
    recoveredState: z.enum(['interrupted', 'failed', 'completed']).optional(),
    seq: TaskEventSchema.shape.seq.optional(),
    at: TaskEventSchema.shape.at.optional(),
    state: TaskEventSchema.shape.state,
    execution: OrchestrationTaskExecutionSchema.optional(),
    metadata: MetadataSchema.optional(),
  })
  .strict();
export type OrchestrationEvent = z.infer<typeof OrchestrationEventSchema>;

/**
 * One turn of a task's agent (the runner's `TaskSession`): its session (`sessionId`, the Codex
 * thread, the same for every turn of a task, as the record's `activeSessionId`), the attempt that
 * ran it, its state (`running`, `completed`, `failed`, `interrupted`, `lost`), exit code and times.
 */
export const OrchestrationSessionSchema = TaskSessionSchema.omit({ threadId: true })
  .extend({ sessionId: TaskSessionSchema.shape.threadId, execution: OrchestrationTaskExecutionSchema.optional() })
  .strict();
export type OrchestrationSession = z.infer<typeof OrchestrationSessionSchema>;

/** A task and its sessions, oldest first (the reference's `{ task, sessions }`). */
export const OrchestrationTaskStatusSchema = z.object({ task: OrchestrationTaskRecordSchema, sessions: z.array(OrchestrationSessionSchema) }).strict();
export type OrchestrationTaskStatus = z.infer<typeof OrchestrationTaskStatusSchema>;

/** A task's context package with the task's id (the reference's `ContextPackageRecord`). */
export const OrchestrationContextPackageRecordSchema = z
  .object({ taskId: z.string(), summary: z.string().optional(), sources: z.array(ContextSourceSchema), artifacts: z.array(ContextArtifactSchema) })
  .strict();
export type OrchestrationContextPackageRecord = z.infer<typeof OrchestrationContextPackageRecordSchema>;

/** Filters of a task listing; every given one must match. Newest first. */
export const OrchestrationTaskListFilterSchema = z
  .object({
    state: OrchestrationTaskStateSchema.optional(),
    parentTaskId: TaskIdSchema.optional(),
    workspacePath: WorkspacePathSchema.optional(),
    /** At most this many tasks (default 50). */
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();
export type OrchestrationTaskListFilter = z.infer<typeof OrchestrationTaskListFilterSchema>;

/** An approver's decision details. */
export interface OrchestrationApprovalOptions {
  /** Who decided (recorded with the decision). */
  by?: string;
  /** The approver's comment. */
  comment?: string;
}

/**
 * One backend that executes tasks (the reference's `AgentRuntime`). Lookups of a task the
 * runtime does not know return `undefined`, so a router can ask runtime after runtime; commands
 * on a task it does not know throw. Records and events carry `execution.runtimeId === runtimeId`.
 */
export interface AgentRuntime {
  readonly runtimeId: string;
  readonly backend: string;
  /** Starts one task; it is admitted as `queued`. Throws when the input is refused or the id is taken. */
  startTask(input: StartOrchestrationTaskInput): Promise<OrchestrationTaskRecord>;
  /** Starts a parent task and its children; every task is admitted as `queued`. */
  createTaskGraph(input: CreateOrchestrationGraphInput): Promise<OrchestrationTaskGraphSnapshot>;
  getTask(taskId: string): Promise<OrchestrationTaskRecord | undefined>;
  /** The graph a task belongs to (by the parent's id or any child's), or undefined for an unknown id. */
  getTaskGraph(taskId: string): Promise<OrchestrationTaskGraphSnapshot | undefined>;
  /** The graph's worker results and synthesis; optional, as in the reference. */
  getTaskGraphResults?(taskId: string): Promise<OrchestrationTaskGraphResultSnapshot | undefined>;
  listTasks(filter?: OrchestrationTaskListFilter): Promise<OrchestrationTaskRecord[]>;
  /** The task's events with a sequence number above `afterSeq`, in order. */
  listEvents(taskId: string, options?: { afterSeq?: number }): Promise<OrchestrationEvent[]>;
  /** Asks the task to stop where it is (it parks as `interrupted`); accepted, not awaited. */
  interruptTask(taskId: string, options?: { reason?: string }): Promise<void>;
  /** Continues an interrupted task; returns its record after the request. */
  resumeTask(taskId: string, options?: { message?: string }): Promise<OrchestrationTaskRecord>;
  approveTaskAction?(taskId: string, options?: OrchestrationApprovalOptions): Promise<OrchestrationTaskRecord>;
  rejectTaskAction?(taskId: string, reason: string, options?: Pick<OrchestrationApprovalOptions, 'by'>): Promise<OrchestrationTaskRecord>;
  /** Cancels a task (a graph's parent: every child that has not ended); accepted, not awaited; optional. */
  cancelTask?(taskId: string): Promise<void>;
  /** Sends a task awaiting approval back for another turn with `message`; optional. */
  requestTaskChanges?(taskId: string, message: string, options?: Pick<OrchestrationApprovalOptions, 'by'>): Promise<OrchestrationTaskRecord>;
  /** Adds children to a running graph; optional. */
  addSubtasks?(parentTaskId: string, children: CreateOrchestrationGraphChildInput[]): Promise<OrchestrationTaskGraphSnapshot>;
  /** A graph's children, those added while it ran among them; optional. */
  listSubtasks?(parentTaskId: string): Promise<OrchestrationTaskRecord[]>;
  /** Runs a failed or cancelled task again, on its thread, with `message` as the instruction; optional. */
  retryTask?(taskId: string, options?: { message?: string }): Promise<OrchestrationTaskRecord>;
  /** The task's or graph's work as a diff from its base to its commit; optional. */
  getTaskDiff?(taskId: string): Promise<OrchestrationTaskDiff>;
  /** The task and its sessions, one per turn, or undefined for an unknown id; optional. */
  getTaskStatus?(taskId: string): Promise<OrchestrationTaskStatus | undefined>;
  /** The context package the task was started with, or undefined when it has none or the id is unknown; optional. */
  getContextPackage?(taskId: string): Promise<OrchestrationContextPackageRecord | undefined>;
}

/** What a task changed: each file with its lines added and deleted, and the patch (`git diff base commit`). */
export interface OrchestrationTaskDiff {
  taskId: string;
  base: string;
  commit: string;
  branchName: string;
  files: {
    path: string;
    added?: number;
    deleted?: number;
    binary: boolean;
    hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number }[];
  }[];
  patch: string;
}
