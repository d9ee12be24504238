import { z } from 'zod';
import { ContextArtifactSchema, ContextPackageSchema, ContextSourceSchema } from '../contracts/context-package';
import { RESULT_CLASSIFICATIONS } from '../contracts/graph';
import { DurationSchema, PrioritySchema, TASK_STATES, TaskIdSchema } from '../contracts/task';

/**
 * The backend-neutral contracts Plato codes against (the reference's `@plato/orchestration`):
 * tasks live in a `workspacePath`, and every record and event says which agent runtime and
 * backend executes it. Nothing here knows Temporal or Codex; an {@link AgentRuntime} adapts a
 * backend to these shapes.
 */

/** The reference's six states plus `cancelled` (an operator cancel), as in the runner. */
export const OrchestrationTaskStateSchema = z.enum(TASK_STATES);
export type OrchestrationTaskState = z.infer<typeof OrchestrationTaskStateSchema>;

/** A graph's aggregate state: a task state, `cancelled` excepted (a cancelled child fails its graph). */
export const OrchestrationGraphStateSchema = OrchestrationTaskStateSchema.exclude(['cancelled']);
export type OrchestrationGraphState = z.infer<typeof OrchestrationGraphStateSchema>;

export const OrchestrationResultClassificationSchema = z.enum(RESULT_CLASSIFICATIONS);
export type OrchestrationResultClassification = z.infer<typeof OrchestrationResultClassificationSchema>;

const RuntimeIdSchema = z.string().trim().min(1, 'runtimeId must not be empty');

/** Which registered agent runtime a call goes to. */
export const AgentRuntimeSelectorSchema = z.object({ runtimeId: RuntimeIdSchema }).strict();
export type AgentRuntimeSelector = z.infer<typeof AgentRuntimeSelectorSchema>;

/** Who executes a task: the runtime that owns it, its backend, and the task's id in that backend. */
export const OrchestrationTaskExecutionSchema = z
  .object({
    runtimeId: RuntimeIdSchema,
    backend: z.string().min(1),
    backendTaskId: z.string().min(1),
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
export type OrchestrationContextPackageInput = z.input<typeof OrchestrationContextPackageInputSchema>;

const PromptSchema = z.string().trim().min(1, 'prompt must not be empty');
const WorkspacePathSchema = z.string().trim().min(1, 'workspacePath must not be empty');

/** Start one task. `taskId` defaults to a new id chosen by the runtime. */
export const StartOrchestrationTaskInputSchema = z
  .object({
    taskId: TaskIdSchema.optional(),
    workspacePath: WorkspacePathSchema,
    prompt: PromptSchema,
    priority: PrioritySchema.optional(),
    agent: AgentRuntimeSelectorSchema.optional(),
    contextPackage: OrchestrationContextPackageInputSchema.optional(),
    /** After its turn the task waits in `awaiting_approval` until approved or rejected. */
    requireApproval: z.boolean().optional(),
    /** Fails an unanswered approval after this long (`30m`, `2h`, `1d`). */
    approvalTimeout: DurationSchema.optional(),
  })
  .strict();
export type StartOrchestrationTaskInput = z.input<typeof StartOrchestrationTaskInputSchema>;

/** One child of a graph. Without `workspacePath` it works in its parent's workspace. */
export const CreateOrchestrationGraphChildInputSchema = z
  .object({
    taskId: TaskIdSchema,
    workspacePath: WorkspacePathSchema.optional(),
    prompt: PromptSchema,
    priority: PrioritySchema.optional(),
    dependencyTaskIds: z.array(TaskIdSchema).optional(),
    contextPackage: OrchestrationContextPackageInputSchema.optional(),
    requireApproval: z.boolean().optional(),
  })
  .strict();
export type CreateOrchestrationGraphChildInput = z.input<typeof CreateOrchestrationGraphChildInputSchema>;

export const CreateOrchestrationGraphInputSchema = z
  .object({
    parent: StartOrchestrationTaskInputSchema,
    children: z.array(CreateOrchestrationGraphChildInputSchema),
    /** How many of this graph's tasks run at once (default: no limit but the backend's). */
    maxConcurrentTasks: z.number().int().min(1).optional(),
  })
  .strict();
export type CreateOrchestrationGraphInput = z.input<typeof CreateOrchestrationGraphInputSchema>;

/** Marks a task as a graph child: its parent and prerequisites. */
export const OrchestrationTaskDecompositionSchema = z
  .object({
    kind: z.literal('subtask'),
    parentTaskId: z.string(),
    dependencyTaskIds: z.array(z.string()).optional(),
  })
  .strict();
export type OrchestrationTaskDecomposition = z.infer<typeof OrchestrationTaskDecompositionSchema>;

/** A pending or decided approval: what the approver sees and what they decided. */
export const OrchestrationApprovalSchema = z
  .object({
    requestedAt: z.string(),
    /** The agent's final message of the turn under review. */
    summary: z.string(),
    /** Files changed, as `git diff --stat` shows them. */
    diffStat: z.string(),
    decision: z
      .object({
        kind: z.enum(['approved', 'rejected', 'changes_requested', 'timed_out']),
        by: z.string().optional(),
        message: z.string().optional(),
        at: z.string(),
      })
      .optional(),
  })
  .strict();
export type OrchestrationApproval = z.infer<typeof OrchestrationApprovalSchema>;

export const OrchestrationTaskRecordSchema = z
  .object({
    taskId: z.string(),
    workspacePath: z.string(),
    prompt: z.string(),
    priority: z.number(),
    state: OrchestrationTaskStateSchema,
    worktreePath: z.string().optional(),
    /** The backend's session (for codex: the Codex thread id). */
    activeSessionId: z.string().optional(),
    decomposition: OrchestrationTaskDecompositionSchema.optional(),
    branchName: z.string().optional(),
    commitSha: z.string().optional(),
    finalMessage: z.string().optional(),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
    approval: OrchestrationApprovalSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    execution: OrchestrationTaskExecutionSchema,
  })
  .strict();
export type OrchestrationTaskRecord = z.infer<typeof OrchestrationTaskRecordSchema>;

export const OrchestrationTaskGraphSnapshotSchema = z
  .object({
    parent: OrchestrationTaskRecordSchema,
    children: z.array(OrchestrationTaskRecordSchema),
    dependencies: z.record(z.string(), z.array(z.string())),
    state: OrchestrationGraphStateSchema,
  })
  .strict();
export type OrchestrationTaskGraphSnapshot = z.infer<typeof OrchestrationTaskGraphSnapshotSchema>;

const MetadataSchema = z.record(z.string(), z.unknown());

/** What one finished child contributed to its graph. */
export const OrchestrationTaskResultRecordSchema = z
  .object({
    resultId: z.string(),
    taskId: z.string(),
    parentTaskId: z.string(),
    classification: OrchestrationResultClassificationSchema,
    summary: z.string(),
    errorCode: z.string().optional(),
    metadata: MetadataSchema.optional(),
    execution: OrchestrationTaskExecutionSchema,
  })
  .strict();
export type OrchestrationTaskResultRecord = z.infer<typeof OrchestrationTaskResultRecordSchema>;

/** The graph's one final outcome, once every child is terminal. */
export const OrchestrationSynthesisRecordSchema = z
  .object({
    synthesisId: z.string(),
    parentTaskId: z.string(),
    classification: OrchestrationResultClassificationSchema,
    summary: z.string(),
    childTaskCount: z.number().int(),
    resultIds: z.array(z.string()),
    metadata: MetadataSchema.optional(),
    execution: OrchestrationTaskExecutionSchema,
  })
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
 * free string), `runtimeId` and `backend` as the reference has them, the full execution identity,
 * and a per-task sequence number and timestamp. Backend-specific detail (a Codex item, token
 * usage, a commit) is in `metadata`.
 */
export const OrchestrationEventSchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    type: z.string(),
    taskId: z.string(),
    runtimeId: z.string(),
    backend: z.string(),
    execution: OrchestrationTaskExecutionSchema,
    state: OrchestrationTaskStateSchema.optional(),
    sessionId: z.string().optional(),
    parentTaskId: z.string().optional(),
    childTaskId: z.string().optional(),
    dependencyTaskId: z.string().optional(),
    dependencyTaskIds: z.array(z.string()).optional(),
    blockedByTaskIds: z.array(z.string()).optional(),
    worktreePath: z.string().optional(),
    graphState: OrchestrationGraphStateSchema.optional(),
    resultId: z.string().optional(),
    synthesisId: z.string().optional(),
    resultClassification: OrchestrationResultClassificationSchema.optional(),
    errorCode: z.string().optional(),
    message: z.string().optional(),
    exitCode: z.number().int().nullable().optional(),
    metadata: MetadataSchema.optional(),
  })
  .strict();
export type OrchestrationEvent = z.infer<typeof OrchestrationEventSchema>;

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
