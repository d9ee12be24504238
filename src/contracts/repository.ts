import { z } from 'zod';

/**
 * How a task names its repository: a local path (the hosts that have it work on it there), or a
 * git URL (every host of a pool keeps a mirror of it, and pushes the task's branch back).
 */
export interface RepoRef {
  repoPath?: string | undefined;
  repoUrl?: string | undefined;
}

/** The URL forms git clones from: `scheme://…` (https, ssh, git, file) and scp-like `user@host:path`. */
const GIT_URL = /^(?:[a-z][a-z0-9+.-]*:\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/i;

export function isGitUrl(value: string): boolean {
  return GIT_URL.test(value);
}

export const RepoUrlSchema = z
  .string()
  .refine(isGitUrl, 'repoUrl must be a git URL (https://…, ssh://…, git@host:path or file://…); a local repository goes in repoPath');

/** Why `ref` does not name one repository, in one line; undefined when it does. */
export function repositoryProblem(ref: RepoRef): string | undefined {
  if (ref.repoPath !== undefined && ref.repoUrl !== undefined) return 'repoPath, repoUrl: name the repository once, by its local path or by its git URL';
  if (ref.repoPath === undefined && ref.repoUrl === undefined) return 'repoPath: name the repository, by its local path (repoPath) or its git URL (repoUrl)';
  return undefined;
}

/** What records, search attributes and the Web UI name the repository by: its URL or its path. */
export function repositoryOf(ref: RepoRef): string {
  return ref.repoUrl ?? ref.repoPath!;
}

/** Just the repository fields of `ref`, for an activity's input. */
export function repoRefOf(ref: RepoRef): RepoRef {
  return ref.repoUrl !== undefined ? { repoUrl: ref.repoUrl } : { repoPath: ref.repoPath };
}
