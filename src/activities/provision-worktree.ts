import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { CheckRepoActions } from 'simple-git';
import { ErrorCode } from '../contracts/errors';
import { taskBranchName, taskWorktreeRelativePath } from '../contracts/ids';
import { gitIn, mergeCommits, resolveCommit } from '../host/git';

export interface ProvisionWorktreeInput {
  taskId: string;
  repoPath: string;
  baseRef?: string;
  /**
   * Commits merged into the base before the branch is made: a graph child with several
   * prerequisites starts from their merge, so it sees all of their work.
   */
  mergeRefs?: string[];
  /** Date of that merge commit (fixed by the workflow, so a retry makes the same commit). */
  mergeDate?: string;
}

export interface WorktreeAllocation {
  worktreePath: string;
  branchName: string;
  /** The commit the task branch started from. */
  baseSha: string;
  /** True when an earlier attempt had already made the branch or the worktree. */
  reused: boolean;
}

function provisioningFailure(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorCode.worktreeProvisioningFailed);
}

/** Keeps `.plato/` out of the user's `git status`: worktrees live inside the repository. */
async function excludePlatoDir(repoPath: string): Promise<void> {
  const git = gitIn(repoPath);
  const commonDir = path.resolve(repoPath, (await git.raw(['rev-parse', '--git-common-dir'])).trim());
  const excludeFile = path.join(commonDir, 'info', 'exclude');
  const current = existsSync(excludeFile) ? await readFile(excludeFile, 'utf8') : '';
  if (current.split('\n').some((line) => line.trim() === '.plato/' || line.trim() === '/.plato/')) return;
  await mkdir(path.dirname(excludeFile), { recursive: true });
  await appendFile(excludeFile, `${current === '' || current.endsWith('\n') ? '' : '\n'}/.plato/\n`);
}

async function registeredWorktrees(repoPath: string): Promise<Map<string, string | undefined>> {
  const porcelain = await gitIn(repoPath).raw(['worktree', 'list', '--porcelain']);
  const worktrees = new Map<string, string | undefined>();
  for (const block of porcelain.split('\n\n')) {
    const dir = /^worktree (.+)$/m.exec(block)?.[1];
    if (dir !== undefined) worktrees.set(path.resolve(dir), /^branch refs\/heads\/(.+)$/m.exec(block)?.[1]);
  }
  return worktrees;
}

/**
 * Gives a task its branch `plato/task-<taskId>` and worktree `<repo>/.plato/worktrees/<taskId>`.
 *
 * Idempotent, because Temporal retries it and a worker may die at any instant: a branch or a
 * worktree left by an earlier attempt is reused, and a directory left half-made by an interrupted
 * `git worktree add` is pruned and made again.
 */
export async function provisionWorktree(input: ProvisionWorktreeInput): Promise<WorktreeAllocation> {
  const repoPath = path.resolve(input.repoPath);
  const git = gitIn(repoPath);
  if (!existsSync(repoPath) || !(await git.checkIsRepo(CheckRepoActions.IS_REPO_ROOT))) {
    throw provisioningFailure(`${repoPath} is not the root of a git repository`);
  }
  const baseRef = input.baseRef ?? 'HEAD';
  let baseSha = await resolveCommit(git, baseRef);
  if (baseSha === undefined) {
    throw provisioningFailure(
      input.baseRef === undefined
        ? `${repoPath} has no commits yet; commit something first or pass a base ref`
        : `Unknown base ref ${input.baseRef} in ${repoPath}`,
    );
  }
  for (const mergeRef of input.mergeRefs ?? []) {
    const outcome = await mergeCommits(repoPath, baseSha, mergeRef, `codex-runner: prerequisites of ${input.taskId}`, input.mergeDate ?? '1970-01-01T00:00:00Z');
    if (!outcome.merged) {
      throw ApplicationFailure.nonRetryable(
        `The prerequisites' work conflicts in ${outcome.conflictedFiles.join(', ')}: ${input.taskId} cannot start from their merge`,
        ErrorCode.graphMergeConflict,
        { conflictedFiles: outcome.conflictedFiles },
      );
    }
    baseSha = outcome.sha;
  }
  await excludePlatoDir(repoPath);

  const branchName = taskBranchName(input.taskId);
  const worktreePath = path.join(repoPath, taskWorktreeRelativePath(input.taskId));
  let worktrees = await registeredWorktrees(repoPath);
  const existing = worktrees.get(worktreePath);
  if (worktrees.has(worktreePath) && !(await checkoutFinished(worktreePath))) {
    // Registered, but `git worktree add` never finished (killed mid-checkout: files and index
    // missing, locked "initializing"): reused as is, its commit would delete the missing files.
    // The folder is ours; it goes with its registration, and is made again from the branch.
    await rm(worktreePath, { recursive: true, force: true });
    await git.raw(['worktree', 'remove', '--force', '--force', worktreePath]).catch(() => git.raw(['worktree', 'prune']));
    worktrees = await registeredWorktrees(repoPath);
  }
  if (worktrees.has(worktreePath)) {
    if (existing !== branchName) {
      throw provisioningFailure(`${worktreePath} is a worktree of ${existing ?? 'a detached HEAD'}, not of ${branchName}`);
    }
    return { worktreePath, branchName, baseSha: await branchBase(git, branchName, baseSha), reused: true };
  }
  if (existsSync(worktreePath)) {
    // Not registered with git, so not a worktree: the remains of an attempt killed inside
    // `git worktree add`. The folder is ours (.plato/worktrees/<taskId>), so it can go.
    await rm(worktreePath, { recursive: true, force: true });
  }
  await mkdir(path.dirname(worktreePath), { recursive: true });
  // A git process killed while it held the task branch's lock leaves the lock file behind, and
  // every later `worktree add` fails on it. Only this task's activities write its branch.
  const commonDir = path.resolve(repoPath, (await git.raw(['rev-parse', '--git-common-dir'])).trim());
  await rm(path.join(commonDir, 'refs', 'heads', `${branchName}.lock`), { force: true });
  const branchExists = (await resolveCommit(git, `refs/heads/${branchName}`)) !== undefined;
  try {
    if (branchExists) {
      await git.raw(['worktree', 'add', worktreePath, branchName]);
    } else {
      await git.raw(['worktree', 'add', '-b', branchName, worktreePath, baseSha]);
    }
  } catch (error) {
    throw ApplicationFailure.retryable(
      `git worktree add failed for ${branchName}: ${(error as Error).message.trim()}`,
      ErrorCode.worktreeProvisioningFailed,
    );
  }
  return {
    worktreePath,
    branchName,
    baseSha: branchExists ? await branchBase(git, branchName, baseSha) : baseSha,
    reused: branchExists,
  };
}

/** Whether `git worktree add` finished here: the checkout writes the worktree's index last. */
async function checkoutFinished(worktreePath: string): Promise<boolean> {
  try {
    const gitDir = /^gitdir: (.+)$/m.exec(await readFile(path.join(worktreePath, '.git'), 'utf8'))?.[1];
    return gitDir !== undefined && existsSync(path.join(path.resolve(worktreePath, gitDir.trim()), 'index'));
  } catch {
    return false;
  }
}

async function branchBase(git: ReturnType<typeof gitIn>, branchName: string, baseSha: string): Promise<string> {
  try {
    return (await git.raw(['merge-base', branchName, baseSha])).trim() || baseSha;
  } catch {
    return baseSha;
  }
}
