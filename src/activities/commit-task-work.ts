import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import { taskBranchName } from '../contracts/ids';
import { gitIn } from '../host/git';

export interface CommitTaskWorkInput {
  taskId: string;
  worktreePath: string;
  baseSha: string;
  message: string;
}

export interface TaskCommit {
  /** HEAD of the task branch after the commit (the base when the agent changed nothing). */
  commitSha: string;
  /** Files that differ between the base and that commit. */
  filesChanged: string[];
  /** `git diff --stat` between the base and that commit, for approvers. */
  diffStat: string;
}

/**
 * Commits everything the agent left in the worktree onto the task branch.
 *
 * Idempotent: a retry after a successful commit finds nothing to stage and reports the same
 * HEAD; `filesChanged` is computed against the base, not from what this attempt staged. The lock
 * files a git process killed mid-commit leaves (index, HEAD, branch) are removed first (the
 * worktree and its branch are the task's own, so no other git process can be working in them).
 */
export async function commitTaskWork(input: CommitTaskWorkInput): Promise<TaskCommit> {
  if (!existsSync(input.worktreePath)) {
    throw ApplicationFailure.nonRetryable(`Worktree ${input.worktreePath} is gone; nothing to commit`, ErrorCode.commitFailed);
  }
  try {
    return await commit(input);
  } catch (error) {
    // simple-git's errors would otherwise reach the task record with its (minified) class
    // name as their error code.
    throw ApplicationFailure.retryable(`git commit failed: ${(error as Error).message.trim()}`, ErrorCode.commitFailed);
  }
}

async function commit(input: CommitTaskWorkInput): Promise<TaskCommit> {
  const git = gitIn(input.worktreePath);
  const gitDir = path.resolve(input.worktreePath, (await git.raw(['rev-parse', '--git-dir'])).trim());
  const commonDir = path.resolve(input.worktreePath, (await git.raw(['rev-parse', '--git-common-dir'])).trim());
  // A commit killed half-way holds the index, the worktree's HEAD and the branch ref locked.
  for (const lock of [path.join(gitDir, 'index.lock'), path.join(gitDir, 'HEAD.lock'), path.join(commonDir, 'refs', 'heads', `${taskBranchName(input.taskId)}.lock`)]) {
    await rm(lock, { force: true });
  }

  await git.raw(['add', '--all']);
  const staged = (await git.raw(['diff', '--cached', '--name-only'])).trim();
  if (staged !== '') {
    await git.raw(['commit', '--no-verify', '--quiet', '-m', input.message]);
  }
  const commitSha = (await git.raw(['rev-parse', 'HEAD'])).trim();
  const diff = (await git.raw(['diff', '--name-only', input.baseSha, commitSha])).trim();
  const diffStat = (await git.raw(['diff', '--stat', input.baseSha, commitSha])).trimEnd();
  return { commitSha, filesChanged: diff === '' ? [] : diff.split('\n'), diffStat };
}
