import { existsSync } from 'node:fs';
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import picomatch from 'picomatch';
import { ErrorCode } from '../contracts/errors';
import { RepoConfigError, type RepoConfig } from '../contracts/repo-config';
import type { RepoRef } from '../contracts/repository';
import { runGit } from '../host/git';
import { readRepoConfigAt } from '../host/repo-config-file';
import { repositoryOnHost } from './repository-on-host';

/**
 * The repository's `.codex-runner.yaml` at `commit`, the task's base (or its graph's): never the
 * worktree's copy, which the agent can edit, so a turn cannot weaken its own checks.
 * @throws ApplicationFailure `CONFIG_INVALID` (not retryable) naming the file and the field.
 */
export async function readRepoConfig(input: RepoRef & { commit: string }): Promise<RepoConfig | undefined> {
  const repoPath = await repositoryOnHost(input, { commits: [input.commit] });
  try {
    return await readRepoConfigAt(repoPath, input.commit);
  } catch (error) {
    if (error instanceof RepoConfigError) throw ApplicationFailure.nonRetryable(error.message, ErrorCode.configInvalid);
    throw error;
  }
}

/** Directories a glob's walk never enters: git's own, the runner's worktrees, installed packages. */
const NEVER_WALKED = new Set(['.git', '.plato', 'node_modules']);

/**
 * Copies the untracked files that `patterns` (paths or globs relative to the repository root)
 * name from the main checkout into the worktree: a fresh worktree has none of a developer's
 * local files (`.env`, local config). Tracked files are left alone (the worktree has them from
 * its commit). Returns the copied paths, which the task's commit leaves out. A repository named by
 * its URL has no checkout on the host, so nothing to copy.
 */
export async function copyIntoWorktree(input: RepoRef & { worktreePath: string; patterns: string[] }): Promise<string[]> {
  if (input.repoPath === undefined) return [];
  const candidates = new Set<string>();
  for (const pattern of input.patterns) {
    if (!picomatch.scan(pattern).isGlob) {
      if (existsSync(path.join(input.repoPath, pattern))) candidates.add(path.normalize(pattern));
      continue;
    }
    const { base } = picomatch.scan(pattern);
    const matches = picomatch(pattern, { dot: true });
    for (const file of await walk(input.repoPath, base)) if (matches(file)) candidates.add(file);
  }
  const copied: string[] = [];
  for (const file of [...candidates].sort()) {
    if ((await runGit(input.repoPath, ['ls-files', '--error-unmatch', '--', file])).code === 0) continue;
    await mkdir(path.dirname(path.join(input.worktreePath, file)), { recursive: true });
    await cp(path.join(input.repoPath, file), path.join(input.worktreePath, file), { recursive: true, force: true });
    copied.push(file);
  }
  return copied;
}

/** Files under `dir` (relative to `root`), as paths relative to `root`. */
async function walk(root: string, dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!NEVER_WALKED.has(entry.name)) files.push(...(await walk(root, relative)));
    } else {
      files.push(relative);
    }
  }
  return files;
}
