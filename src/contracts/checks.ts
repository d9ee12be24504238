import { z } from 'zod';

/** How one setup or verify command ended. */
export const CheckResultSchema = z.object({
  command: z.string(),
  /** `passed`: exit 0; `failed`: another exit; `errored`: it could not run (not found, timed out). */
  outcome: z.enum(['passed', 'failed', 'errored']),
  exitCode: z.number().int().nullable(),
  durationMs: z.number(),
  /** stdout and stderr together, head and tail kept (8 KiB). */
  output: z.string(),
  outputTruncated: z.object({ originalBytes: z.number(), capBytes: z.number() }).optional(),
  /** Why an `errored` command could not run. */
  reason: z.string().optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** A task's verification as its record keeps it: the last run's verdict and how many fixing turns it took. */
export const VerificationRecordSchema = z.object({
  status: z.enum(['passed', 'failed', 'errored']),
  /** Verification runs so far (1 + the turns the agent got to fix a failed check). */
  runs: z.number().int(),
  /** The last run's commands, each with its exit code and duration. */
  checks: z.array(z.object({ command: z.string(), outcome: CheckResultSchema.shape.outcome, exitCode: z.number().int().nullable(), durationMs: z.number() })),
  message: z.string(),
});
export type VerificationRecord = z.infer<typeof VerificationRecordSchema>;

/** The verdict of a run: the first command that did not pass decides it. */
export function verdictOf(results: CheckResult[]): { status: VerificationRecord['status']; failed?: CheckResult } {
  const failed = results.find((result) => result.outcome !== 'passed');
  return failed ? { status: failed.outcome === 'errored' ? 'errored' : 'failed', failed } : { status: 'passed' };
}

/** One line about a command's end: "`npm test` failed with exit 1 after 3 s". */
export function describeCheck(result: CheckResult): string {
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  switch (result.outcome) {
    case 'passed':
      return `\`${result.command}\` passed in ${seconds}`;
    case 'failed':
      return `\`${result.command}\` failed with exit ${result.exitCode} after ${seconds}`;
    case 'errored':
      return `\`${result.command}\` could not run: ${result.reason ?? `exit ${result.exitCode}`}`;
  }
}

/** The record of a verification run. */
export function verificationRecord(results: CheckResult[], runs: number): VerificationRecord {
  const { status, failed } = verdictOf(results);
  return {
    status,
    runs,
    checks: results.map(({ command, outcome, exitCode, durationMs }) => ({ command, outcome, exitCode, durationMs })),
    message: failed ? describeCheck(failed) : `passed: ${results.map((result) => `\`${result.command}\``).join(', ')}`,
  };
}

/** The next turn's instruction after a failed check: what failed, its output, and the ask to fix it. */
export function fixInstruction(failed: CheckResult): string {
  return [
    `${describeCheck(failed)}. Its output:`,
    '',
    '```',
    failed.output.trimEnd(),
    '```',
    '',
    'Fix the code so that the check passes. Do not change the check itself.',
  ].join('\n');
}
