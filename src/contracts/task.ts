import { z } from 'zod';
import { RepoUrlSchema } from './repository';
import { ContextPackageSchema } from './context-package';
import { FULL_COMMIT_ID, TASK_ID_PATTERN, TASK_ID_RULE } from './ids';
import { DurationSchema } from './duration';
import { TaskChecksSchema } from './repo-config';
import { REASONING_EFFORTS, SANDBOX_MODES, TASK_STATES } from './task-values';

export type { ApprovalRecord, TaskRecord, TokenUsage } from './records';

export { isTerminalState, REASONING_EFFORTS, SANDBOX_MODES, TASK_STATES, TERMINAL_TASK_STATES, type TaskState } from './task-values';
export const TaskStateSchema = z.enum(TASK_STATES);

export const TaskIdSchema = z.string().regex(TASK_ID_PATTERN, { message: `task id ${TASK_ID_RULE}` });

export { DurationSchema, durationMs } from './duration';

/** Codex settings a task may override; everything else comes from the worker's config file. */
export const CodexTaskOptionsSchema = z
  .object({
    model: z.string().min(1, 'model must not be empty').optional(),
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    sandboxMode: z.enum(SANDBOX_MODES).optional(),
    networkAccess: z.boolean().optional(),
    additionalDirectories: z.array(z.string().min(1)).max(16).optional(),
    /** A turn whose codex reports nothing for this long is ended and retried like a model outage (default 10m). */
    turnInactivityTimeout: DurationSchema.optional(),
    /** How long a turn is retried on its thread while the model is unavailable (429, 5xx, dropped streams, silence), default 30m. */
    outageWindow: DurationSchema.optional(),
  })
  .strict();
export type CodexTaskOptions = z.infer<typeof CodexTaskOptionsSchema>;

const PROMPT_MAX_CHARS = 100_000;

/** What the agent is asked to do: a task's prompt, a graph's goal, a child's part. */
export const PromptSchema = z.string().trim().min(1, 'prompt must not be empty').max(PROMPT_MAX_CHARS, `prompt must be at most ${PROMPT_MAX_CHARS} characters`);

/** What a caller names a repository by: any path, resolved against the working directory. */
export const RepoPathSchema = z.string().min(1, 'repoPath must not be empty');

/** A repository as workflow inputs carry it: resolved by the client, or typed by hand in full. */
export const AbsoluteRepoPathSchema = z.string().startsWith('/', 'repoPath must be an absolute path');

/** Priority: an integer, higher runs first. */
export const PrioritySchema = z.number().int('priority must be an integer').min(-1000).max(1000);

/** What a caller submits to start one task (the client library's `startTask`). */
export const StartTaskInputSchema = z
  .object({
    taskId: TaskIdSchema.optional(),
    /** The repository on the local disk; or `repoUrl` (exactly one of the two). */
    repoPath: RepoPathSchema.optional(),
    /** The repository by its git URL, for a pool whose hosts each keep a mirror of it. */
    repoUrl: RepoUrlSchema.optional(),
    prompt: PromptSchema,
    priority: PrioritySchema.default(0),
    baseRef: z.string().min(1).optional(),
    codex: CodexTaskOptionsSchema.optional(),
    requireApproval: z.boolean().optional(),
    approvalTimeout: DurationSchema.optional(),
    contextPackage: ContextPackageSchema.optional(),
    checks: TaskChecksSchema.optional(),
  })
  .strict();
export type StartTaskInput = z.input<typeof StartTaskInputSchema>;

/** An approval timeout with no approval to time out does nothing: refused, so it is not lost silently. */
export function approvalTimeoutProblem(input: { requireApproval?: boolean | undefined; approvalTimeout?: string | undefined }): string | undefined {
  if (input.approvalTimeout === undefined || input.requireApproval) return undefined;
  return 'approvalTimeout: a timeout needs an approval to time out; add requireApproval (--require-approval) or drop the timeout';
}

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
    /** The child's turns tell the parent when they have a session slot and when they give it up (see GraphScheduler). */
    reportsSessions: z.literal(true).optional(),
    /** Where the child reads `.codex-runner.yaml`: its graph's base, which no child's agent can change. */
    configSha: CommitIdSchema.optional(),
  })
  .strict();
export type GraphRelease = z.infer<typeof GraphReleaseSchema>;

/** What a retried run knows of the run before it. */
export const RetryOfSchema = z
  .object({
    /** The earlier run of the same workflow id. */
    runId: z.string().min(1),
    /** Its Codex thread, which the retry's first turn continues. */
    threadId: z.string().min(1).optional(),
    /** The host it was placed on, which holds its worktree and thread: the retry runs there too. */
    host: z.string().min(1).optional(),
    /** How it ended, for the agent's instruction. */
    reason: z.string().optional(),
    /** The retry's instruction (default: finish the task). */
    message: z.string().trim().min(1, 'message must not be empty (omit it to have the agent finish the task)').max(PROMPT_MAX_CHARS).optional(),
  })
  .strict();
export type RetryOf = z.infer<typeof RetryOfSchema>;

/**
 * The task workflow's input, as found in its history (`WorkflowExecutionStarted`) and as typed by
 * someone starting a task with the plain `temporal workflow start`. `repoPath` is absolute;
 * exactly one of it and `repoUrl` is given (see repository.ts).
 */
export const TaskWorkflowInputSchema = z
  .object({
    taskId: TaskIdSchema,
    repoPath: AbsoluteRepoPathSchema.optional(),
    repoUrl: RepoUrlSchema.optional(),
    prompt: PromptSchema,
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
    /** Setup and verify commands over the repository's `.codex-runner.yaml`. */
    checks: TaskChecksSchema.optional(),
    /** This run retries an earlier one that failed or was cancelled (`retry`): in its worktree, on its thread. */
    retryOf: RetryOfSchema.optional(),
  })
  .strict();
export type TaskWorkflowInput = z.input<typeof TaskWorkflowInputSchema>;
export type ValidTaskWorkflowInput = z.output<typeof TaskWorkflowInputSchema>;
