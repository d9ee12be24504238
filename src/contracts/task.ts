import { z } from 'zod';
import { ContextPackageSchema } from './context-package';
import type { GraphRecord } from './graph';
import { FULL_COMMIT_ID, TASK_ID_PATTERN, TASK_ID_RULE } from './ids';

/** Task states, exactly as DESIGN.md fixes them (the reference's six plus `cancelled`). */
export const TASK_STATES = [
  'queued',
  'running',
  'awaiting_approval',
  'interrupted',
  'completed',
  'failed',
  'cancelled',
] as const;
export const TaskStateSchema = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskStateSchema>;

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];

export function isTerminalState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

export const TaskIdSchema = z.string().regex(TASK_ID_PATTERN, { message: `task id ${TASK_ID_RULE}` });

export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high', 'xhigh'] as const;

/** Codex settings a task may override; everything else comes from the worker's config file. */
export const CodexTaskOptionsSchema = z
  .object({
    model: z.string().min(1, 'model must not be empty').optional(),
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    sandboxMode: z.enum(SANDBOX_MODES).optional(),
    networkAccess: z.boolean().optional(),
    additionalDirectories: z.array(z.string().min(1)).max(16).optional(),
  })
  .strict();
export type CodexTaskOptions = z.infer<typeof CodexTaskOptionsSchema>;

const PROMPT_MAX_CHARS = 100_000;

/** A duration as Temporal takes it: a number and a unit, e.g. `90s`, `30m`, `2h`, `1d`. */
export const DurationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration must be a number and a unit: ms, s, m, h or d (e.g. 30m, 2h, 1d)');

/** Priority: an integer, higher runs first. */
export const PrioritySchema = z.number().int('priority must be an integer').min(-1000).max(1000);

/** What a caller submits to start one task (the client library's `startTask`). */
export const StartTaskInputSchema = z
  .object({
    taskId: TaskIdSchema.optional(),
    repoPath: z.string().min(1, 'repoPath must not be empty'),
    prompt: z
      .string()
      .trim()
      .min(1, 'prompt must not be empty')
      .max(PROMPT_MAX_CHARS, `prompt must be at most ${PROMPT_MAX_CHARS} characters`),
    priority: PrioritySchema.default(0),
    baseRef: z.string().min(1).optional(),
    codex: CodexTaskOptionsSchema.optional(),
    requireApproval: z.boolean().optional(),
    approvalTimeout: DurationSchema.optional(),
    contextPackage: ContextPackageSchema.optional(),
  })
  .strict();
export type StartTaskInput = z.input<typeof StartTaskInputSchema>;

const CommitIdSchema = z.string().regex(FULL_COMMIT_ID, 'must be a full commit id (40 or 64 hex digits)');

/**
 * What a graph parent tells a child whose prerequisites all completed: by the `graphRelease`
 * signal, or in the child's input when it is ready when the graph starts.
 */
export const GraphReleaseSchema = z
  .object({
    /** The commit the child's branch starts from. */
    baseSha: CommitIdSchema,
    /** Further prerequisite commits merged into the base (a child with several prerequisites). */
    mergeShas: z.array(CommitIdSchema),
    satisfied: z.array(z.object({ taskId: TaskIdSchema, commitSha: CommitIdSchema }).strict()),
    /** The child's turn tells the parent when it has a session slot and when it gives it up (SESSION_WINDOW). */
    tellSession: z.literal(true).optional(),
  })
  .strict();
export type GraphRelease = z.infer<typeof GraphReleaseSchema>;

/**
 * The task workflow's input, as found in its history (`WorkflowExecutionStarted`) and as typed by
 * someone starting a task with the plain `temporal workflow start`. `repoPath` is absolute.
 */
export const TaskWorkflowInputSchema = z
  .object({
    taskId: TaskIdSchema,
    repoPath: z.string().startsWith('/', 'repoPath must be an absolute path'),
    prompt: z.string().trim().min(1, 'prompt must not be empty').max(PROMPT_MAX_CHARS),
    priority: PrioritySchema.default(0),
    baseRef: z.string().min(1).optional(),
    codex: CodexTaskOptionsSchema.optional(),
    /** Set for a graph child: it waits until its parent releases it (prerequisites done). */
    parentTaskId: TaskIdSchema.optional(),
    /** A graph child's overall goal: the parent's prompt. */
    goal: z.string().optional(),
    dependencyTaskIds: z.array(TaskIdSchema).optional(),
    /** A graph child started released (ready when its graph started): it does not wait for a release signal. */
    release: GraphReleaseSchema.optional(),
    /** After its turn the task waits in `awaiting_approval` until approved, rejected or changes are requested. */
    requireApproval: z.boolean().optional(),
    /** Fails an unanswered approval after this long (`30m`, `2h`, `1d`). */
    approvalTimeout: DurationSchema.optional(),
    /** What the agent should know first: given in the first turn's instructions and as files. */
    contextPackage: ContextPackageSchema.optional(),
  })
  .strict();
export type TaskWorkflowInput = z.input<typeof TaskWorkflowInputSchema>;
export type ValidTaskWorkflowInput = z.output<typeof TaskWorkflowInputSchema>;

/** Token usage of one or more Codex turns (the SDK's `Usage`, camel-cased). */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
}

/** What an approver sees, and what they decided. */
export interface ApprovalRecord {
  requestedAt: string;
  /** The task branch's changes against its base: a line per file (`path | +added -deleted`, or `path | bin`), then git's summary line. */
  diffStat: string;
  finalMessage: string;
  decision?: {
    kind: 'approved' | 'rejected' | 'changes_requested' | 'timed_out';
    by?: string;
    /** The approver's comment, the rejection reason, or the requested changes. */
    message?: string;
    at: string;
  };
}

export interface TaskRecord {
  taskId: string;
  repoPath: string;
  prompt: string;
  priority: number;
  state: TaskState;
  parentTaskId?: string;
  /** A graph child's prerequisites. */
  dependencyTaskIds?: string[];
  baseRef?: string;
  /** Commit the task branch started from. */
  baseSha?: string;
  branchName?: string;
  worktreePath?: string;
  /** Codex thread of this task's session, recorded as soon as Codex reports it. */
  threadId?: string;
  /** Commit on the task branch holding the agent's work. */
  commitSha?: string;
  filesChanged?: string[];
  finalMessage?: string;
  usage?: TokenUsage;
  failure?: { code: string; message: string };
  /** Set while the task awaits approval, and kept with the decision afterwards. */
  approval?: ApprovalRecord;
  /** Set on a graph's parent task. */
  graph?: GraphRecord;
  createdAt: string;
  updatedAt: string;
}
