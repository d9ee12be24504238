import { z } from 'zod';
import { DurationSchema } from './duration';
import { describeIssues } from './validation';

/** The repository config file's name, at the root of the user's repository. */
export const REPO_CONFIG_FILE = '.codex-runner.yaml';

export const DEFAULT_MAX_VERIFY_TURNS = 2;
export const DEFAULT_COMMAND_TIMEOUT = '10m';
const MAX_COMMANDS = 20;

const CommandSchema = z.string().trim().min(1, 'a command must not be empty').max(4_000, 'a command must be at most 4000 characters');
const CommandsSchema = z.array(CommandSchema).max(MAX_COMMANDS, `at most ${MAX_COMMANDS} commands`);

/** A path or glob relative to the repository root, inside it. */
const CopyPatternSchema = z
  .string()
  .trim()
  .min(1, 'a path must not be empty')
  .refine((pattern) => !pattern.startsWith('/') && !pattern.split('/').includes('..'), 'a path must be relative to the repository root and stay inside it');

export const MaxVerifyTurnsSchema = z.number().int('maxVerifyTurns must be an integer').min(0).max(10);

/**
 * `.codex-runner.yaml`, committed in the user's repository: what a new worktree needs before the
 * first turn, and the checks the agent's work must pass.
 */
export const RepoConfigSchema = z
  .object({
    /** Run once in a new worktree before the first turn (install dependencies, generate code). */
    setup: CommandsSchema.optional(),
    /** Untracked files (paths or globs) copied from the main checkout into each new worktree; never committed. */
    copy: z.array(CopyPatternSchema).max(100).optional(),
    /** Run in the worktree after each turn; the task completes only when all pass. */
    verify: CommandsSchema.optional(),
    /** How many more turns the agent gets to fix a failed check (default 2). */
    maxVerifyTurns: MaxVerifyTurnsSchema.optional(),
    /** Each setup and verify command's time limit (default 10m). */
    commandTimeout: DurationSchema.optional(),
  })
  .strict();
export type RepoConfig = z.infer<typeof RepoConfigSchema>;

/** What a task or a graph may set over the repository's file. */
export const TaskChecksSchema = z
  .object({
    /** Replaces the file's `setup`; `[]` runs none. */
    setup: CommandsSchema.optional(),
    /** Replaces the file's `verify`; `[]` verifies nothing (`--no-verify`). */
    verify: CommandsSchema.optional(),
    maxVerifyTurns: MaxVerifyTurnsSchema.optional(),
    commandTimeout: DurationSchema.optional(),
  })
  .strict();
export type TaskChecks = z.infer<typeof TaskChecksSchema>;

/** The checks a task runs: its repository's file with the task's options over it. */
export interface ResolvedChecks {
  setup: string[];
  copy: string[];
  verify: string[];
  maxVerifyTurns: number;
  commandTimeout: string;
}

export function resolveChecks(file: RepoConfig | undefined, task: TaskChecks | undefined): ResolvedChecks {
  return {
    setup: task?.setup ?? file?.setup ?? [],
    copy: file?.copy ?? [],
    verify: task?.verify ?? file?.verify ?? [],
    maxVerifyTurns: task?.maxVerifyTurns ?? file?.maxVerifyTurns ?? DEFAULT_MAX_VERIFY_TURNS,
    commandTimeout: task?.commandTimeout ?? file?.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT,
  };
}

/** A repository config file's problem, in one line naming the file and the field. */
export class RepoConfigError extends Error {}

/** Parses the file's text (YAML, of which JSON is a part); `parseYaml` is the `yaml` package's `parse`. */
export function parseRepoConfig(text: string, where: string, parseYaml: (text: string) => unknown): RepoConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RepoConfigError(`${where}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return {};
  const parsed = RepoConfigSchema.safeParse(raw);
  if (!parsed.success) throw new RepoConfigError(`${where}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
