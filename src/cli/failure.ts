import { CommanderError } from 'commander';
import { CodexRunnerError, ValidationError } from '../client/errors';
import { ErrorCode, isErrorCode } from '../contracts/errors';
import type { TaskRecord } from '../contracts/records';

/** The CLI's exit codes, as the root `--help` lists them. */
export const ExitCode = {
  ok: 0,
  /** A runner error, or a task or graph that ended failed or cancelled under `--wait`. */
  failed: 1,
  /** The command line itself was wrong: an unknown command or option, a bad or missing value. */
  usage: 2,
} as const;

/** How a command's error reaches its caller: the stable code, one line a person can act on, and the exit code. */
export interface CliFailure {
  code: ErrorCode;
  message: string;
  exitCode: typeof ExitCode.failed | typeof ExitCode.usage;
}

const USAGE_HINT = '(run with --help for usage)';

/**
 * What an error a command threw means for its caller. commander's parse errors and a
 * ValidationError (input the command refused: a bad flag value, a bad graph file) are usage
 * errors; any other error with one of this project's codes keeps it (a CodexRunnerError, and the
 * host modules' ConfigError and CodexRuntimeError); anything else is unexpected.
 */
export function describeFailure(error: unknown): CliFailure {
  if (error instanceof CommanderError) {
    // commander.help with a non-zero exit code: a command that needs a subcommand got none (its help is printed).
    const problem = error.code === 'commander.help' ? 'a command is missing' : error.message.replace(/^error: /, '');
    return { code: ErrorCode.validation, message: `${problem} ${USAGE_HINT}`, exitCode: ExitCode.usage };
  }
  if (error instanceof ValidationError) return { code: error.code, message: error.message, exitCode: ExitCode.usage };
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (error instanceof Error && isErrorCode(code)) return { code, message: error.message, exitCode: ExitCode.failed };
  return { code: ErrorCode.internal, message: error instanceof Error ? error.message : String(error), exitCode: ExitCode.failed };
}

/** The failure as stderr shows it: `CODE: message` on one line, or with `--json` one document `{"error":{"code","message"}}`. */
export function formatFailure({ code, message }: CliFailure, json: boolean): string {
  if (json) return `${JSON.stringify({ error: { code, message } })}\n`;
  return `${code}: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`;
}

/** Whether `--json` is on the command line (before a `--` that ends the options), so that even a usage error is printed as JSON. */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Ends a command that waited for a task or graph (`--wait`, `graph watch`), once it has printed
 * it: one that ended other than completed is the command's error (exit 1), with the failure it
 * ended with. `what` names it (`Task x`, `Graph x`); `state` is a graph's aggregate state, else
 * the task's.
 */
export function failUnlessCompleted(what: string, task: Pick<TaskRecord, 'state' | 'failure'>, state = task.state): void {
  if (state === 'completed') return;
  const failure = task.failure ?? { code: state === 'cancelled' ? ErrorCode.cancelled : ErrorCode.taskFailed, message: `it is ${state}` };
  throw new CodexRunnerError(failure.code, `${what} ended ${state}: ${failure.message}`);
}
