import type { WorktreeAllocation } from '../activities';
import { describeCheck, fixInstruction, verdictOf, verificationRecord, type CheckResult } from '../contracts/checks';
import { ErrorCode } from '../contracts/errors';
import { resolveChecks, type ResolvedChecks } from '../contracts/repo-config';
import { repoRefOf } from '../contracts/repository';
import type { ValidTaskWorkflowInput } from '../contracts/task';
import type { HostSteps } from './host-steps';
import type { OperatorControl } from './operator-control';
import { step, StepFailure } from './step-failure';
import type { TaskJournal } from './task-journal';

/** Characters of a failed command's output a failure message ends with. */
const FAILURE_OUTPUT_TAIL = 1_500;

/** What verifying a turn's work came to: it passed, or the next turn's instruction (a fix to make, or an operator's message). */
export type Verdict = { kind: 'passed' } | { kind: 'next-turn'; prompt: string };

/**
 * A task's repository setup and verification: the repository's `.codex-runner.yaml` at the
 * task's base commit with the task's own `checks` over it, the files it copies into the new
 * worktree, its setup commands, and its verify commands after each turn.
 */
export class TaskChecks {
  private runs = 0;
  private fixTurns = 0;

  private constructor(
    private readonly journal: TaskJournal,
    private readonly control: OperatorControl,
    private readonly steps: HostSteps,
    private readonly worktree: WorktreeAllocation,
    readonly checks: ResolvedChecks,
    /** Files copied into the worktree, which its commit leaves out. */
    readonly copied: string[],
  ) {}

  /**
   * Reads the config at `configSha` (the task's base commit, or its graph's: never the worktree,
   * which the agent edits), copies its files and runs its setup.
   */
  static async setUp(
    input: ValidTaskWorkflowInput,
    journal: TaskJournal,
    control: OperatorControl,
    steps: HostSteps,
    worktree: WorktreeAllocation,
    configSha: string,
  ): Promise<TaskChecks> {
    const file = await step(ErrorCode.configInvalid, () => steps.readRepoConfig({ ...repoRefOf(input), commit: configSha }));
    const checks = resolveChecks(file, input.checks);
    let copied: string[] = [];
    if (checks.copy.length > 0) {
      copied = await step(ErrorCode.worktreeSetupFailed, () =>
        steps.copyIntoWorktree({ ...repoRefOf(input), worktreePath: worktree.worktreePath, patterns: checks.copy }),
      );
      journal.emit('worktree.files.copied', {
        worktreePath: worktree.worktreePath,
        files: copied,
        message: copied.length
          ? `Copied from the main checkout (never committed): ${copied.join(', ')}`
          : `Nothing to copy: ${checks.copy.join(', ')} matched no untracked file`,
      });
    }
    const taskChecks = new TaskChecks(journal, control, steps, worktree, checks, copied);
    if (checks.setup.length > 0) await taskChecks.runSetup();
    return taskChecks;
  }

  private async runSetup(): Promise<void> {
    const { setup, commandTimeout } = this.checks;
    this.journal.emit('worktree.setup.started', { worktreePath: this.worktree.worktreePath, message: setup.map((command) => `\`${command}\``).join(', ') });
    const { results } = await step(ErrorCode.worktreeSetupFailed, () =>
      this.steps.runChecks({ worktreePath: this.worktree.worktreePath, commands: setup, commandTimeout }),
    );
    const record = verificationRecord(results, 1);
    const { failed } = verdictOf(results);
    if (failed === undefined) {
      this.journal.emit('worktree.setup.completed', { checks: record.checks, message: record.message });
      return;
    }
    const message = `Setup ${withOutput(failed)}`;
    this.journal.emit('worktree.setup.failed', { checks: record.checks, errorCode: ErrorCode.worktreeSetupFailed, message });
    throw new StepFailure({ code: ErrorCode.worktreeSetupFailed, message });
  }

  /** Whether a turn's work is verified at all. */
  get verifies(): boolean {
    return this.checks.verify.length > 0;
  }

  /**
   * Runs the verify commands. A failed check gives the agent another turn on its thread with the
   * check's output, up to `maxVerifyTurns`; then the task fails with `TESTS_FAILED`, or with
   * `TASK_VERIFICATION_ERRORED` when a command could not run at all. An interrupt stops the
   * check (its processes are killed); the resume's message becomes the next turn, and a resume
   * without one verifies again.
   */
  async verify(): Promise<Verdict> {
    const { verify, commandTimeout, maxVerifyTurns } = this.checks;
    const { journal } = this;
    const verificationId = `${journal.record.taskId}:verify:${++this.runs}`;
    journal.emit('verification.started', { verificationId, message: `verifying: ${verify.map((command) => `\`${command}\``).join(', ')}` });
    const run = await this.control.interruptible(() =>
      step(ErrorCode.verificationErrored, () => this.steps.runChecks({ worktreePath: this.worktree.worktreePath, commands: verify, commandTimeout })),
    );
    if (run === undefined) {
      const resumption = await this.control.pauseIfInterrupted();
      return resumption.message ? { kind: 'next-turn', prompt: resumption.message } : this.verify();
    }
    const record = verificationRecord(run.results, this.runs);
    journal.update({ verification: record });
    const { status, failed } = verdictOf(run.results);
    if (failed === undefined) {
      journal.emit('verification.completed', { verificationId, verificationStatus: 'passed', checks: record.checks, message: record.message });
      return { kind: 'passed' };
    }
    const errored = status === 'errored';
    const turnsLeft = !errored && this.fixTurns < maxVerifyTurns;
    journal.emit('verification.failed', {
      verificationId,
      verificationStatus: status,
      checks: record.checks,
      errorCode: errored ? ErrorCode.verificationErrored : ErrorCode.testsFailed,
      message: `${record.message}${turnsLeft ? `; the agent gets turn ${this.fixTurns + 1} of ${maxVerifyTurns} to fix it` : ''}`,
    });
    if (turnsLeft) {
      this.fixTurns++;
      return { kind: 'next-turn', prompt: fixInstruction(failed) };
    }
    const tries = errored ? '' : ` (after ${this.fixTurns} turn(s) to fix it)`;
    throw new StepFailure({ code: errored ? ErrorCode.verificationErrored : ErrorCode.testsFailed, message: `Verification ${withOutput(failed)}${tries}` });
  }

  /** A new round after an operator asked for changes: the agent gets its fixing turns again. */
  changesRequested(): void {
    this.fixTurns = 0;
  }
}

/** "`npm ci` failed with exit 1 after 2.0 s: <the output's tail>". */
function withOutput(result: CheckResult): string {
  const tail = result.output.trimEnd().slice(-FAILURE_OUTPUT_TAIL);
  return `${describeCheck(result)}${tail ? `: ${tail}` : ''}`;
}
