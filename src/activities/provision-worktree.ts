import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import { FULL_COMMIT_ID, taskBranchName, taskWorktreeRelativePath } from '../contracts/ids';
import { isDirectory } from '../host/files';
import type { RepoRef } from '../contracts/repository';
import { commitOf, git, gitDirPointedAt, gitDirsOf, headCommitOf, isRepositoryRoot, mergeCommits, runGit, setBranch } from '../host/git';
import { repositoryOnHost } from './repository-on-host';

/** The repository by its path or its URL (then this host's mirror of it: see repo-mirror.ts). */
export interface ProvisionWorktreeInput extends RepoRef {
  taskId: string;
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

/**
 * Keeps `.plato/` out of the user's `git status`: worktrees live inside the repository. Reads
 * files only (no git command), so it runs on every call: a repository cloned again at the same
 * path gets its line again.
 */
async function excludePlatoDir(repoPath: string): Promise<void> {
  const excludeFile = path.join((await gitDirsOf(repoPath)).commonDir, 'info', 'exclude');
  const current = existsSync(excludeFile) ? await readFile(excludeFile, 'utf8') : '';
  if (current.split('\n').some((line) => line.trim() === '.plato/' || line.trim() === '/.plato/')) return;
  await mkdir(path.dirname(excludeFile), { recursive: true });
  await appendFile(excludeFile, `${current === '' || current.endsWith('\n') ? '' : '\n'}/.plato/\n`);
}

/** `startSha` with the task's prerequisites merged in (their merge commit, or `startSha` when there are none). */
async function mergePrerequisites(repoPath: string, startSha: string, input: ProvisionWorktreeInput): Promise<string> {
  let baseSha = startSha;
  for (const mergeRef of input.mergeRefs ?? []) {
    const outcome = await mergeCommits(
      repoPath,
      baseSha,
      mergeRef,
      `codex-runner: prerequisites of ${input.taskId}`,
      input.mergeDate ?? '1970-01-01T00:00:00Z',
    );
    if (!outcome.merged) {
      throw ApplicationFailure.nonRetryable(
        `The prerequisites' work conflicts in ${outcome.conflictedFiles.join(', ')}: ${input.taskId} cannot start from their merge`,
        ErrorCode.graphMergeConflict,
        { conflictedFiles: outcome.conflictedFiles },
      );
    }
    baseSha = outcome.sha;
  }
  return baseSha;
}

async function registeredWorktrees(repoPath: string): Promise<Map<string, string | undefined>> {
  const porcelain = await git(repoPath, ['worktree', 'list', '--porcelain']);
  const worktrees = new Map<string, string | undefined>();
  for (const block of porcelain.split('\n\n')) {
    const dir = /^worktree (.+)$/m.exec(block)?.[1];
    if (dir !== undefined) worktrees.set(path.resolve(dir), /^branch refs\/heads\/(.+)$/m.exec(block)?.[1]);
  }
  return worktrees;
}

/** Where a task's branch and worktree go. */
interface TaskPlace {
  repoPath: string;
  branchName: string;
  worktreePath: string;
}

/**
 * Gives a task its branch `plato/task-<taskId>` and worktree `<repo>/.plato/worktrees/<taskId>`.
 * A repository named by its URL is this host's mirror of it, fetched first (the base may be a
 * branch that moved, or another host's pushed commit), and the task continues from its pushed
 * branch when the remote has one (it ran on another host: see followPushedBranch).
 *
 * Idempotent, because Temporal retries it and a worker may die at any instant: a branch or a
 * worktree left by an earlier attempt is reused, and a directory left half-made by an interrupted
 * `git worktree add` is pruned and made again.
 *
 * Every git command is a process start, so a first attempt, which finds no worktree directory,
 * makes the worktree with one `git worktree add -b` (HEAD read from its files, or one
 * `rev-parse` of another base that is not a commit id already) and inspects nothing first. Whatever makes that fail (a branch or a lock
 * left by a killed attempt, an unknown base, not a repository) is then sorted out by the careful
 * path, which looks at everything before it acts.
 */
export async function provisionWorktree(input: ProvisionWorktreeInput): Promise<WorktreeAllocation> {
  const commits = [...(input.baseRef !== undefined && FULL_COMMIT_ID.test(input.baseRef) ? [input.baseRef] : []), ...(input.mergeRefs ?? [])];
  const repoPath = await repositoryOnHost(input, { fresh: true, commits });
  const task: TaskPlace = { repoPath, branchName: taskBranchName(input.taskId), worktreePath: path.join(repoPath, taskWorktreeRelativePath(input.taskId)) };
  if (!existsSync(task.worktreePath) && isDirectory(path.join(repoPath, '.git'))) {
    const made = await addFreshWorktree(input, task);
    if (made !== undefined) return made;
  }
  return provisionCarefully(input, task);
}

/**
 * The first attempt: no worktree directory yet, and `<repo>/.git` is a directory (the root of
 * a repository, which is what the careful path's root check accepts). Undefined when the base
 * names no commit or `git worktree add` fails: the careful path then resolves the base again
 * (the prerequisites' merge has fixed dates, so it is the same commit) and reuses a branch this
 * made before failing. A merge conflict among the prerequisites fails the task here, as it would there.
 */
async function addFreshWorktree(input: ProvisionWorktreeInput, { repoPath, branchName, worktreePath }: TaskPlace): Promise<WorktreeAllocation | undefined> {
  const baseRef = input.baseRef ?? 'HEAD';
  // An unknown commit id fails `git worktree add`, and the careful path then says it is unknown.
  const trusted = FULL_COMMIT_ID.test(baseRef) && !input.mergeRefs?.length;
  const startSha = trusted ? baseRef : input.baseRef === undefined ? await headCommitOf(repoPath).catch(() => undefined) : await commitOf(repoPath, baseRef);
  if (startSha === undefined) return undefined;
  const baseSha = await mergePrerequisites(repoPath, startSha, input);
  await excludePlatoDir(repoPath);
  await mkdir(path.dirname(worktreePath), { recursive: true });
  const added = await runGit(repoPath, ['worktree', 'add', '-b', branchName, worktreePath, baseSha]);
  return added.code === 0 ? { worktreePath, branchName, baseSha, reused: false } : undefined;
}

/** Looks at everything before it acts. */
async function provisionCarefully(input: ProvisionWorktreeInput, { repoPath, branchName, worktreePath }: TaskPlace): Promise<WorktreeAllocation> {
  if (!existsSync(repoPath) || !(await isRepositoryRoot(repoPath))) {
    throw provisioningFailure(`${repoPath} is not the root of a git repository`);
  }
  const startSha = await commitOf(repoPath, input.baseRef ?? 'HEAD');
  if (startSha === undefined) {
    throw provisioningFailure(
      input.baseRef === undefined
        ? `${repoPath} has no commits yet; commit something first or pass a base ref`
        : `Unknown base ref ${input.baseRef} in ${repoPath}`,
    );
  }
  const baseSha = await mergePrerequisites(repoPath, startSha, input);
  await excludePlatoDir(repoPath);

  let worktrees = await registeredWorktrees(repoPath);
  const existing = worktrees.get(worktreePath);
  if (worktrees.has(worktreePath) && !(await checkoutFinished(worktreePath))) {
    // Registered, but `git worktree add` never finished (killed mid-checkout: files and index
    // missing, locked "initializing"): reused as is, its commit would delete the missing files.
    // The folder is ours; it goes with its registration, and is made again from the branch.
    await rm(worktreePath, { recursive: true, force: true });
    if ((await runGit(repoPath, ['worktree', 'remove', '--force', '--force', worktreePath])).code !== 0) {
      await git(repoPath, ['worktree', 'prune']);
    }
    worktrees = await registeredWorktrees(repoPath);
  }
  if (input.repoUrl !== undefined) await followPushedBranch(repoPath, branchName, worktrees.get(worktreePath) === branchName ? worktreePath : undefined);
  if (worktrees.has(worktreePath)) {
    if (existing !== branchName) {
      throw provisioningFailure(`${worktreePath} is a worktree of ${existing ?? 'a detached HEAD'}, not of ${branchName}`);
    }
    return { worktreePath, branchName, baseSha: await branchBase(repoPath, branchName, baseSha), reused: true };
  }
  if (existsSync(worktreePath)) {
    // Not registered with git, so not a worktree: the remains of an attempt killed inside
    // `git worktree add`. The folder is ours (.plato/worktrees/<taskId>), so it can go.
    await rm(worktreePath, { recursive: true, force: true });
  }
  await mkdir(path.dirname(worktreePath), { recursive: true });
  // A git process killed while it held the task branch's lock leaves the lock file behind, and
  // every later `worktree add` fails on it. Only this task's activities write its branch.
  const { commonDir } = await gitDirsOf(repoPath);
  await rm(path.join(commonDir, 'refs', 'heads', `${branchName}.lock`), { force: true });
  const branchExists = (await commitOf(repoPath, `refs/heads/${branchName}`)) !== undefined;
  const added = await runGit(
    repoPath,
    branchExists ? ['worktree', 'add', worktreePath, branchName] : ['worktree', 'add', '-b', branchName, worktreePath, baseSha],
  );
  if (added.code !== 0) {
    throw ApplicationFailure.retryable(`git worktree add failed for ${branchName}: ${added.stderr.trim()}`, ErrorCode.worktreeProvisioningFailed);
  }
  return {
    worktreePath,
    branchName,
    baseSha: branchExists ? await branchBase(repoPath, branchName, baseSha) : baseSha,
    reused: branchExists,
  };
}

/**
 * A task on a repository named by its URL continues from its pushed branch (fetched into the
 * mirror as `refs/remotes/origin/<branch>`): it may have run on another host since this one last
 * had it (moved away from a lost host and back, or placed here anew). The local branch, and the
 * task's worktree here (`worktreePath`) with it, go to the pushed commit, unless the local branch
 * already contains it (this host committed after its last push, and the commit's retry pushes).
 */
async function followPushedBranch(repoPath: string, branchName: string, worktreePath: string | undefined): Promise<void> {
  const pushed = await commitOf(repoPath, `refs/remotes/origin/${branchName}`);
  if (pushed === undefined) return;
  const local = await commitOf(repoPath, `refs/heads/${branchName}`);
  if (local !== undefined && (await runGit(repoPath, ['merge-base', '--is-ancestor', pushed, local])).code === 0) return;
  if (worktreePath !== undefined) await git(worktreePath, ['reset', '--quiet', '--hard', pushed]);
  else await setBranch(repoPath, branchName, pushed);
}

/** Whether `git worktree add` finished here: the checkout writes the worktree's index last. */
async function checkoutFinished(worktreePath: string): Promise<boolean> {
  const gitDir = await gitDirPointedAt(worktreePath);
  return gitDir !== undefined && existsSync(path.join(gitDir, 'index'));
}

async function branchBase(repoPath: string, branchName: string, baseSha: string): Promise<string> {
  const base = await runGit(repoPath, ['merge-base', branchName, baseSha]);
  return (base.code === 0 && base.stdout.trim()) || baseSha;
}
