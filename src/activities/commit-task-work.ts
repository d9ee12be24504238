import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import { taskBranchName } from '../contracts/ids';
import { git, gitDirsOf, headCommitOf, runGit } from '../host/git';
import { pushBranch } from '../host/repo-mirror';

export interface CommitTaskWorkInput {
  taskId: string;
  worktreePath: string;
  baseSha: string;
  message: string;
  /** Untracked files copied into the worktree (`copy`), never committed. */
  leaveOut?: string[];
  /** The task's repository is this git URL: the task branch is pushed there once committed. */
  repoUrl?: string;
}

export interface TaskCommit {
  /** HEAD of the task branch after the commit (the base when the agent changed nothing). */
  commitSha: string;
  /** Files that differ between the base and that commit. */
  filesChanged: string[];
  /**
   * What changed between the base and that commit, for approvers: a line per file
   * (`path | +added -deleted`, or `path | bin`), then git's summary line
   * (`2 files changed, 3 insertions(+), 1 deletion(-)`); empty when nothing changed.
   */
  diffStat: string;
}

/**
 * Commits everything the agent left in the worktree onto the task branch.
 *
 * Idempotent: a retry after a successful commit finds nothing to stage and reports the same
 * HEAD; `filesChanged` is computed against the base, not from what this attempt staged. The lock
 * files a git process killed mid-commit leaves (index, HEAD, branch) are removed first (the
 * worktree and its branch are the task's own, so no other git process can be working in them).
 *
 * The git directories and the new HEAD are read from files, and one `git diff --numstat` gives
 * both the file list and the approvers' summary. With a `repoUrl`, the branch is then pushed, so
 * a dependent on another host, or this task moved to another host, starts from it.
 */
export async function commitTaskWork(input: CommitTaskWorkInput): Promise<TaskCommit> {
  if (!existsSync(input.worktreePath)) {
    throw ApplicationFailure.nonRetryable(`Worktree ${input.worktreePath} is gone; nothing to commit`, ErrorCode.commitFailed);
  }
  try {
    const committed = await commit(input);
    if (input.repoUrl !== undefined) await pushBranch(input.worktreePath, committed.commitSha, taskBranchName(input.taskId));
    return committed;
  } catch (error) {
    // Without a code of its own, the error's class name would reach the task record as its code.
    throw ApplicationFailure.retryable(`Committing the work in ${input.worktreePath} failed: ${(error as Error).message.trim()}`, ErrorCode.commitFailed);
  }
}

async function commit(input: CommitTaskWorkInput): Promise<TaskCommit> {
  const worktree = input.worktreePath;
  const { gitDir, commonDir } = await gitDirsOf(worktree);
  // A commit killed half-way holds the index, the worktree's HEAD and the branch ref locked.
  for (const lock of [
    path.join(gitDir, 'index.lock'),
    path.join(gitDir, 'HEAD.lock'),
    path.join(commonDir, 'refs', 'heads', `${taskBranchName(input.taskId)}.lock`),
  ]) {
    await rm(lock, { force: true });
  }

  // Both print what they did (see host/git.ts on silent commands).
  await git(worktree, ['add', '--all', '--verbose']);
  if (input.leaveOut?.length) await git(worktree, ['rm', '-r', '--cached', '--ignore-unmatch', '--quiet', '--', ...input.leaveOut]);
  const committed = await runGit(worktree, ['commit', '--no-verify', '-m', input.message]);
  // `git commit` also fails when there is nothing to commit: an agent that changed nothing.
  if (committed.code !== 0 && (await runGit(worktree, ['diff', '--cached', '--quiet'])).code !== 0) {
    throw new Error(`git commit failed: ${committed.stderr.trim() || committed.stdout.trim()}`);
  }
  const commitSha = await headCommitOf(worktree);
  if (commitSha === input.baseSha) return { commitSha, filesChanged: [], diffStat: '' };
  // -z: paths exactly as they are (no quoting of unusual names); --no-renames: a rename is its
  // two paths, whatever the user's diff.renames says.
  // --shortstat adds git's own summary line after the NUL-terminated records.
  const output = await git(worktree, ['diff', '--numstat', '--shortstat', '-z', '--no-renames', input.baseSha, commitSha]);
  const records = output.split('\0');
  const summary = records.pop()!.trim();
  const changes = parseNumstat(records);
  return { commitSha, filesChanged: changes.map((change) => change.path), diffStat: describeChanges(changes, summary) };
}

/** One file of `git diff --numstat`: line counts, or none for a binary file. */
interface FileChange {
  path: string;
  lines?: { added: number; deleted: number };
}

function parseNumstat(records: string[]): FileChange[] {
  return records
    .filter((record) => record !== '')
    .map((record) => {
      const [added = '-', deleted = '-', ...name] = record.split('\t');
      const file = name.join('\t');
      return added === '-' ? { path: file } : { path: file, lines: { added: Number(added), deleted: Number(deleted) } };
    });
}

/** The approvers' diffStat (see {@link TaskCommit.diffStat}): a line per file, then git's summary. */
function describeChanges(changes: FileChange[], summary: string): string {
  if (changes.length === 0) return '';
  const files = changes.map((change) => `${change.path} | ${change.lines ? `+${change.lines.added} -${change.lines.deleted}` : 'bin'}`);
  return [...files, summary].join('\n');
}
