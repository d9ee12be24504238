import { existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode } from '../contracts/errors';
import type { TaskRecord } from '../contracts/records';
import { commitOf, git, mergeCommits, runGit } from '../host/git';
import { CodexRunnerError, WrongStateError } from './errors';

/** A task's or a graph's work as git holds it: its branch, from `base` to `commit`, in `repoPath`. */
export interface TaskWork {
  taskId: string;
  repoPath: string;
  branchName: string;
  base: string;
  commit: string;
}

/** The work of a task or graph record; refuses one that has no commit yet. */
export function workOf(record: TaskRecord): TaskWork {
  const base = record.graph?.baseSha ?? record.baseSha;
  if (record.branchName === undefined || base === undefined || record.commitSha === undefined) {
    throw new WrongStateError(`Task ${record.taskId} (${record.state}) has no committed work yet`);
  }
  return { taskId: record.taskId, repoPath: record.repoPath, branchName: record.branchName, base, commit: record.commitSha };
}

export interface DiffFile {
  path: string;
  /** Lines added and deleted; `undefined` for a binary file. */
  added?: number;
  deleted?: number;
  binary: boolean;
  /** Each hunk's place and size, as its `@@ -oldStart,oldLines +newStart,newLines @@` header says. */
  hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number }[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** The hunks of each file of a `git diff --no-renames` patch, by the file's path. */
export function hunksOf(patch: string): Map<string, DiffFile['hunks']> {
  const hunks = new Map<string, DiffFile['hunks']>();
  let current: DiffFile['hunks'] | undefined;
  for (const line of patch.split('\n')) {
    const file = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (file) {
      current = [];
      hunks.set(file[2]!, current);
      continue;
    }
    const header = HUNK_HEADER.exec(line);
    if (header && current) {
      current.push({ oldStart: Number(header[1]), oldLines: Number(header[2] ?? 1), newStart: Number(header[3]), newLines: Number(header[4] ?? 1) });
    }
  }
  return hunks;
}

export interface TaskDiff {
  taskId: string;
  repoPath: string;
  branchName: string;
  base: string;
  commit: string;
  files: DiffFile[];
  /** `git diff base commit`, as git prints it (no color). */
  patch: string;
}

/** The work's diff: `git diff <base> <commit>` in its repository, with a per-file count. */
export async function diffOf(work: TaskWork): Promise<TaskDiff> {
  const range = [work.base, work.commit];
  const [numstat, patch] = await Promise.all([
    git(work.repoPath, ['diff', '--numstat', '-z', '--no-renames', ...range]),
    runGit(work.repoPath, ['diff', '--no-color', '--no-renames', ...range]),
  ]);
  if (patch.code !== 0) throw new Error(`git diff failed: ${patch.stderr.trim()}`);
  const hunks = hunksOf(patch.stdout);
  const files = numstat
    .split('\0')
    .filter((line) => line !== '')
    .map((line): DiffFile => {
      const [added = '-', deleted = '-', ...rest] = line.split('\t');
      const binary = added === '-';
      const file = rest.join('\t');
      return { path: file, binary, ...(binary ? {} : { added: Number(added), deleted: Number(deleted) }), hunks: hunks.get(file) ?? [] };
    });
  return { ...work, files, patch: patch.stdout };
}

/** How a landing went: the target's old and new commit, and how it got there. */
export interface Landing {
  taskId: string;
  into: string;
  /** `fast-forward`, a new `merge` commit, or `up-to-date` (the work was already in it). */
  kind: 'fast-forward' | 'merge' | 'up-to-date';
  from: string;
  to: string;
}

/** Refused in one line: a dirty checkout, a target checked out elsewhere, a conflict (with its files). */
export class LandRefusedError extends CodexRunnerError {
  constructor(
    message: string,
    readonly conflictedFiles: string[] = [],
  ) {
    super(conflictedFiles.length > 0 ? ErrorCode.landConflict : ErrorCode.landRefused, message);
  }
}

/** Where a branch is checked out: the worktree paths listed by `git worktree list` with it as HEAD. */
async function checkoutsOf(repoPath: string, branch: string): Promise<string[]> {
  const listed = await git(repoPath, ['worktree', 'list', '--porcelain']);
  const paths: string[] = [];
  let current: string | undefined;
  for (const line of listed.split('\n')) {
    if (line.startsWith('worktree ')) current = line.slice('worktree '.length);
    if (line === `branch refs/heads/${branch}` && current !== undefined) paths.push(current);
  }
  return paths;
}

/** The branch the main checkout has checked out, if any. */
export async function checkedOutBranch(repoPath: string): Promise<string | undefined> {
  const run = await runGit(repoPath, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return run.code === 0 ? run.stdout.trim() : undefined;
}

/**
 * Lands the work on `into`, a branch of the user's repository: a fast-forward when the branch
 * has not moved on since the work's base, else a merge commit computed in the object database.
 * A conflict, a dirty checkout of the branch or a branch checked out in another worktree is
 * refused and changes nothing. When the branch is checked out in the main checkout, that
 * checkout moves with it (`git merge --ff-only` to the landed commit).
 */
export async function land(work: TaskWork, into: string): Promise<Landing> {
  const { repoPath } = work;
  const target = await commitOf(repoPath, `refs/heads/${into}`);
  if (target === undefined) throw new LandRefusedError(`${into} is not a branch of ${repoPath}; pass an existing branch with --into`);
  const checkouts = await checkoutsOf(repoPath, into);
  const elsewhere = checkouts.filter((checkout) => checkout !== repoPath);
  if (elsewhere.length > 0) throw new LandRefusedError(`${into} is checked out in ${elsewhere.join(', ')}; land into it there, or into another branch`);
  const checkedOut = checkouts.includes(repoPath);
  if (checkedOut) {
    const dirty = (await runGit(repoPath, ['status', '--porcelain', '--untracked-files=no'])).stdout;
    if (dirty.trim() !== '') {
      const files = dirty
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.slice(3));
      throw new LandRefusedError(`${repoPath} has uncommitted changes on ${into} (${files.join(', ')}); commit or stash them, then land again`);
    }
  }
  const merged = await mergeCommits(
    repoPath,
    target,
    work.commit,
    `Land ${work.branchName} (codex-runner task ${work.taskId}) into ${into}`,
    new Date().toISOString(),
  );
  if (!merged.merged) {
    throw new LandRefusedError(
      `${work.branchName} conflicts with ${into} in ${merged.conflictedFiles.join(', ')}; nothing was changed`,
      merged.conflictedFiles,
    );
  }
  const kind = merged.sha === target ? 'up-to-date' : merged.sha === work.commit ? 'fast-forward' : 'merge';
  if (kind !== 'up-to-date') {
    if (checkedOut) {
      const moved = await runGit(repoPath, ['merge', '--ff-only', '--quiet', merged.sha]);
      if (moved.code !== 0) throw new LandRefusedError(`git could not move ${into} in ${repoPath}: ${moved.stderr.trim()}`);
    } else {
      await git(repoPath, ['update-ref', `refs/heads/${into}`, merged.sha, target]);
    }
  }
  return { taskId: work.taskId, into, kind, from: target, to: merged.sha };
}

export interface Push {
  taskId: string;
  remote: string;
  /** The branch on the remote. */
  branch: string;
  commit: string;
  /** Where to open a pull request, when the remote is on GitHub. */
  compareUrl?: string;
}

/** `https://github.com/owner/repo` for a GitHub remote URL (https or ssh), else `undefined`. */
export function githubRepoUrl(remoteUrl: string): string | undefined {
  const match = /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([^/]+)\/(.+?)(?:\.git)?\/?$/.exec(remoteUrl.trim());
  return match ? `https://github.com/${match[1]}/${match[2]}` : undefined;
}

/** Pushes the work's commit to `remote` as `branch` (default: the work's own branch name). */
export async function push(work: TaskWork, remote: string, branch = work.branchName): Promise<Push> {
  const url = await runGit(work.repoPath, ['remote', 'get-url', remote]);
  if (url.code !== 0)
    throw new CodexRunnerError(ErrorCode.pushFailed, `${remote} is not a remote of ${work.repoPath}; add it with \`git remote add ${remote} <url>\``);
  const pushed = await runGit(work.repoPath, ['push', '--porcelain', remote, `${work.commit}:refs/heads/${branch}`]);
  if (pushed.code !== 0) throw new CodexRunnerError(ErrorCode.pushFailed, `git push ${remote} failed: ${(pushed.stderr || pushed.stdout).trim()}`);
  const github = githubRepoUrl(url.stdout);
  return { taskId: work.taskId, remote, branch, commit: work.commit, ...(github ? { compareUrl: `${github}/compare/${branch}?expand=1` } : {}) };
}

/** Whether a worktree holds changes that are in no commit (tracked edits or untracked files). */
export async function hasUncommittedWork(worktreePath: string): Promise<boolean> {
  if (!existsSync(worktreePath)) return false;
  return (await git(worktreePath, ['status', '--porcelain'])).trim() !== '';
}

/** What a cleanup removed (or, in a dry run, would remove). */
export interface Removal {
  taskId: string;
  /** The worktree removed, when there was one. */
  worktreePath?: string;
  /** The branch deleted (`gc --branches`). */
  branchName?: string;
  /** Disk space the worktree took. */
  bytes: number;
}

/** Bytes of the files under `dir` (not following symbolic links). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(full);
    else total += (await lstat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/**
 * Removes a task's worktree (its branch keeps the committed work). A worktree holding changes
 * that are in no commit is kept unless `force`.
 */
export async function removeWorktree(record: TaskRecord, { force = false, dryRun = false } = {}): Promise<Removal> {
  const { worktreePath } = record;
  if (worktreePath === undefined || !existsSync(worktreePath)) return { taskId: record.taskId, bytes: 0 };
  if (!force && (await hasUncommittedWork(worktreePath))) {
    throw new WrongStateError(`${worktreePath} holds changes that are in no commit; pass --force to remove them with the worktree`);
  }
  const bytes = await diskUsage(worktreePath);
  if (!dryRun) await git(record.repoPath, ['worktree', 'remove', '--force', worktreePath]);
  return { taskId: record.taskId, worktreePath, bytes };
}

export interface GcOptions {
  /** Only tasks that ended at least this long ago (milliseconds). */
  olderThanMs?: number;
  /** Only tasks whose work is in this branch (default: any; with `branches`, the checked-out branch). */
  mergedInto?: string;
  /** Delete the tasks' branches too: only those whose commits are in the target branch, unless `force`. */
  branches?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

export interface GcReport {
  removed: Removal[];
  /** What was left, and why. */
  kept: { taskId: string; reason: string }[];
  bytes: number;
  dryRun: boolean;
}

/** Whether `commit` is in `branch` of `repoPath`. */
async function isIn(repoPath: string, commit: string, branch: string): Promise<boolean> {
  return (await runGit(repoPath, ['merge-base', '--is-ancestor', commit, `refs/heads/${branch}`])).code === 0;
}

/**
 * Cleans up ended tasks (`records`, every one `completed`, `failed` or `cancelled`): removes
 * their worktrees and, with `branches`, their branches, by {@link GcOptions}. Never loses work:
 * a worktree with changes in no commit, or a branch whose commits are not in the target branch,
 * is kept unless `force`.
 */
export async function collectGarbage(records: TaskRecord[], options: GcOptions, now = Date.now()): Promise<GcReport> {
  const report: GcReport = { removed: [], kept: [], bytes: 0, dryRun: options.dryRun === true };
  for (const record of records) {
    const keep = (reason: string) => report.kept.push({ taskId: record.taskId, reason });
    if (options.olderThanMs !== undefined && now - Date.parse(record.updatedAt) < options.olderThanMs) continue;
    const target = options.mergedInto ?? (options.branches ? await checkedOutBranch(record.repoPath) : undefined);
    const merged = record.commitSha !== undefined && target !== undefined && (await isIn(record.repoPath, record.commitSha, target));
    if (options.mergedInto !== undefined && !merged) {
      keep(`its work is not in ${options.mergedInto}`);
      continue;
    }
    let removal: Removal;
    try {
      removal = await removeWorktree(record, { force: options.force === true, dryRun: options.dryRun === true });
    } catch (error) {
      keep((error as Error).message);
      continue;
    }
    const branchName = record.graph ? undefined : record.branchName;
    if (options.branches && branchName !== undefined && (await commitOf(record.repoPath, `refs/heads/${branchName}`)) !== undefined) {
      if (merged || options.force) {
        if (!options.dryRun) await git(record.repoPath, ['branch', '-D', branchName]);
        removal = { ...removal, branchName };
      } else {
        keep(`branch ${branchName} has commits that are not in ${target ?? 'the checked-out branch'}; pass --force to delete it`);
      }
    }
    if (removal.worktreePath !== undefined || removal.branchName !== undefined) {
      report.removed.push(removal);
      report.bytes += removal.bytes;
    }
  }
  return report;
}
