import { spawn, spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import type { GcReport, Removal } from '../client/task-work';
import { ValidationError } from '../client/errors';
import { withClient, type Cli } from './common';
import { printJson } from './output';

/** `diff`, `land`, `push`, `clean` and `gc`: what happens to a task's work after its agent is done. */
export function registerWorkCommands(program: Command, cli: Cli): void {
  registerDiff(program, cli);
  registerLand(program, cli);
  registerPush(program, cli);
  registerClean(program, cli);
  registerGc(program, cli);
}

function registerDiff(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('diff')
    .description("Show a task's or graph's work: git diff of its branch from its base to its commit (paged on a terminal)")
    .argument('<taskId>', 'a task, or a graph parent: its merged branch')
    .option('--stat', 'a summary per file (git diff --stat)')
    .option('--name-only', 'only the changed files')
    .option('--json', 'print JSON: the files with lines added and deleted, and the patch')
    .action(async (taskId: string, flags: { stat?: boolean; nameOnly?: boolean; json?: boolean }) => {
      const diff = await withClient(cli, (client) => client.getTaskDiff(taskId));
      if (flags.json) return printJson(io, { diff });
      const args = ['diff', ...(flags.stat ? ['--stat'] : []), ...(flags.nameOnly ? ['--name-only'] : []), diff.base, diff.commit];
      // On a terminal git itself pages and colours, as `git diff` does.
      if (process.stdout.isTTY) return runOnTerminal('git', args, diff.repoPath);
      const { runGit } = await import('../host/git.js');
      const run = await runGit(diff.repoPath, args);
      io.stdout(run.stdout);
    });
}

function runOnTerminal(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) process.exitCode = code ?? 1;
      resolve();
    });
  });
}

function registerLand(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('land')
    .description("Merge a task's or graph's work into a branch of its repository (fast-forward when possible); approves a task awaiting approval")
    .argument('<taskId>')
    .option('--into <branch>', 'the branch to land on (default: the one checked out in the repository)')
    .option('--by <name>', 'who lands it, for the approval record')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { into?: string; by?: string; json?: boolean }) => {
      const landing = await withClient(cli, (client) =>
        client.landTask(taskId, { ...(flags.into ? { into: flags.into } : {}), ...(flags.by ? { by: flags.by } : {}) }),
      );
      if (flags.json) return printJson(io, { landing });
      const how = { 'fast-forward': 'fast-forwarded to', merge: 'merged as', 'up-to-date': 'already had it at' }[landing.kind];
      io.stdout(`Landed ${taskId} on ${landing.into}: ${how} ${landing.to.slice(0, 12)}${landing.approved ? '; the task is approved' : ''}\n`);
    });
}

function registerPush(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('push')
    .description("Push a task's or graph's branch to a remote; on GitHub, print the URL that opens a pull request")
    .argument('<taskId>')
    .option('--remote <name>', 'the remote', 'origin')
    .option('--branch <name>', 'the branch name on the remote (default: the task branch)')
    .option('--pr', 'open a pull request with the GitHub CLI (gh)')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { remote: string; branch?: string; pr?: boolean; json?: boolean }) => {
      const pushed = await withClient(cli, (client) => client.pushTask(taskId, { remote: flags.remote, ...(flags.branch ? { branch: flags.branch } : {}) }));
      if (flags.json && !flags.pr) return printJson(io, { push: pushed });
      const lines = [`Pushed ${pushed.commit.slice(0, 12)} to ${pushed.remote} as ${pushed.branch}`];
      if (pushed.compareUrl) lines.push(`Open a pull request: ${pushed.compareUrl}`);
      if (flags.pr) lines.push(openPullRequest(pushed.branch, pushed.compareUrl));
      if (flags.json) return printJson(io, { push: pushed, pullRequest: lines.at(-1) });
      io.stdout(`${lines.join('\n')}\n`);
    });
}

/** `gh pr create` for `branch`, or why not. */
function openPullRequest(branch: string, compareUrl: string | undefined): string {
  if (spawnSync('gh', ['--version'], { stdio: 'ignore' }).error) {
    return `The GitHub CLI (gh) is not installed, so no pull request was opened${compareUrl ? `: open ${compareUrl}` : ''}`;
  }
  const created = spawnSync('gh', ['pr', 'create', '--head', branch, '--fill'], { encoding: 'utf8' });
  if (created.status !== 0) return `gh pr create failed: ${(created.stderr || created.stdout).trim()}`;
  return `Pull request: ${created.stdout.trim()}`;
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const describeRemoval = (removal: Removal) =>
  [
    removal.worktreePath ? `worktree ${removal.worktreePath} (${megabytes(removal.bytes)})` : undefined,
    removal.branchName ? `branch ${removal.branchName}` : undefined,
  ]
    .filter(Boolean)
    .join(' and ');

function registerClean(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('clean')
    .description("Remove an ended task's worktree; its branch keeps the committed work")
    .argument('<taskId>')
    .option('--force', 'also when the worktree holds changes that are in no commit')
    .option('--json', 'print JSON')
    .action(async (taskId: string, flags: { force?: boolean; json?: boolean }) => {
      const removal = await withClient(cli, (client) => client.cleanTask(taskId, { force: flags.force === true }));
      if (flags.json) return printJson(io, { removal });
      io.stdout(removal.worktreePath ? `Removed ${describeRemoval(removal)}\n` : `Task ${taskId} has no worktree to remove\n`);
    });
}

/** `--older-than` in milliseconds (read in the action: the duration rules load zod, which `--help` does without). */
async function olderThanMs(raw: string): Promise<number> {
  const { DurationSchema, durationMs } = await import('../contracts/duration.js');
  if (!DurationSchema.safeParse(raw).success) throw new ValidationError('--older-than: a duration is a number and a unit: ms, s, m, h or d (e.g. 7d)');
  return durationMs(raw);
}

function registerGc(program: Command, cli: Cli): void {
  const { io } = cli;
  program
    .command('gc')
    .description('Remove the worktrees (and with --branches the branches) of ended tasks, never losing work')
    .option('--repo-path <path>', 'only tasks of this repository')
    .option('--older-than <duration>', 'only tasks that ended at least this long ago (e.g. 7d)')
    .option('--merged-into <branch>', 'only tasks whose work is in this branch')
    .option('--branches', "also delete the tasks' branches whose commits are in the target branch (--merged-into, or the checked-out one)")
    .option('--force', 'also remove worktrees with uncommitted changes and branches with unmerged commits')
    .option('--dry-run', 'say what would be removed, and remove nothing')
    .option('--json', 'print JSON')
    .action(
      async (flags: { repoPath?: string; olderThan?: string; mergedInto?: string; branches?: boolean; force?: boolean; dryRun?: boolean; json?: boolean }) => {
        const olderThan = flags.olderThan === undefined ? undefined : await olderThanMs(flags.olderThan);
        const report = await withClient(cli, (client) =>
          client.collectGarbage({
            ...(flags.repoPath ? { repoPath: flags.repoPath } : {}),
            ...(olderThan !== undefined ? { olderThanMs: olderThan } : {}),
            ...(flags.mergedInto ? { mergedInto: flags.mergedInto } : {}),
            branches: flags.branches === true,
            force: flags.force === true,
            dryRun: flags.dryRun === true,
          }),
        );
        if (flags.json) return printJson(io, { gc: report });
        io.stdout(formatGc(report));
      },
    );
}

export function formatGc(report: GcReport): string {
  const verb = report.dryRun ? 'Would remove' : 'Removed';
  const lines = report.removed.map((removal) => `${verb} ${removal.taskId}: ${describeRemoval(removal)}`);
  lines.push(...report.kept.map((kept) => `Kept ${kept.taskId}: ${kept.reason}`));
  lines.push(`${report.dryRun ? 'Would free' : 'Freed'} ${megabytes(report.bytes)} (${report.removed.length} task(s))`);
  return `${lines.join('\n')}\n`;
}
