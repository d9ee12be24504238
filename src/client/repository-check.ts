import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDirectory } from '../host/files';
import { commitOf, isRepositoryRoot, runGit } from '../host/git';
import { RepoConfigError } from '../contracts/repo-config';
import { isGitUrl, repositoryProblem, type RepoRef } from '../contracts/repository';
import { readRepoConfigAt } from '../host/repo-config-file';
import { mirrorOf } from '../host/repo-mirror';
import { ValidationError } from './errors';

/**
 * Why `dir`, which is not the root of a git repository, cannot be one: the root it lies inside,
 * the main checkout of the linked worktree it is, or no repository at all.
 */
async function notARoot(dir: string): Promise<string> {
  const run = await runGit(dir, ['rev-parse', '--show-toplevel', '--git-common-dir']);
  const [top, commonDir] = run.stdout.trim().split('\n');
  if (run.code !== 0 || top === undefined || commonDir === undefined) {
    return `repoPath: ${dir} is not a git repository; pass the root of a git repository (or run \`git init\` there)`;
  }
  if (path.resolve(top) !== dir) return `repoPath: ${dir} is inside the git repository ${top}; pass its root, ${top}`;
  const main = path.dirname(path.resolve(dir, commonDir));
  return `repoPath: ${dir} is a linked worktree of the repository at ${main}; pass ${main}`;
}

/** A repository as records name it, from what a caller gave: a git URL as it is, a path made absolute. */
export function repositoryName(value: string): string {
  return isGitUrl(value) ? value : path.resolve(value);
}

/**
 * Refuses a repository the task could not work in, before anything is created. A path must be
 * the root of a git repository with at least one commit; a URL must be one git can read (the
 * client's own mirror of it is made or fetched: see repo-mirror.ts). Then `baseRef` (when given)
 * must name a commit, and the `.codex-runner.yaml` committed there (if any) must be valid.
 * Returns the repository as workflow inputs carry it: the absolute path, or the URL.
 */
export async function checkRepository(ref: RepoRef, baseRef?: string): Promise<RepoRef> {
  const problem = repositoryProblem(ref);
  if (problem) throw new ValidationError(problem);
  if (ref.repoUrl !== undefined) {
    const mirror = await readableMirror(ref.repoUrl);
    await checkContents(mirror, ref.repoUrl, 'repoUrl', baseRef);
    await checkPushable(mirror, ref.repoUrl);
    return { repoUrl: ref.repoUrl };
  }
  const absolute = path.resolve(ref.repoPath!);
  if (!existsSync(absolute)) throw new ValidationError(`repoPath: ${absolute} does not exist; pass the root of a git repository`);
  if (!isDirectory(absolute)) throw new ValidationError(`repoPath: ${absolute} is a file, not a directory; pass the root of a git repository`);
  if (!(await isRepositoryRoot(absolute))) throw new ValidationError(await notARoot(absolute));
  await checkContents(absolute, absolute, 'repoPath', baseRef);
  return { repoPath: absolute };
}

async function readableMirror(url: string): Promise<string> {
  try {
    return await mirrorOf(url, { fresh: true });
  } catch (error) {
    throw new ValidationError(`repoUrl: git cannot read ${url} (${(error as Error).message.trim()}); check the URL and this machine's access to it`);
  }
}

/**
 * The task's branches are pushed to the URL: a remote this machine may read but not write is
 * refused now, not after the agent's work. A dry run asks the remote's receive-pack (on a hosted
 * remote, with this machine's credentials) and writes nothing. The hosts push with their own
 * credentials, which this cannot check.
 */
async function checkPushable(mirror: string, url: string): Promise<void> {
  const tried = await runGit(mirror, ['push', '--dry-run', '--quiet', '--porcelain', 'origin', 'HEAD:refs/heads/plato/codex-runner-push-check']);
  if (tried.code !== 0) {
    const reason = (tried.stderr || tried.stdout).trim().split('\n').at(-1) ?? `exit code ${tried.code}`;
    throw new ValidationError(`repoUrl: git cannot push to ${url} (${reason}); the task's branches are pushed there, so it needs write access`);
  }
}

/** The base ref and the committed config of the repository at `dir`, which the messages call `name` (field `field`). */
async function checkContents(dir: string, name: string, field: 'repoPath' | 'repoUrl', baseRef: string | undefined): Promise<void> {
  const resolves = async (ref: string) => (await commitOf(dir, ref)) !== undefined;
  if (baseRef !== undefined && !(await resolves(baseRef))) {
    throw new ValidationError(`baseRef: ${baseRef} is not a branch, tag or commit in ${name}`);
  }
  if (baseRef === undefined && !(await resolves('HEAD'))) {
    throw new ValidationError(`${field}: ${name} has no commits yet; commit something first or pass --base-ref`);
  }
  try {
    await readRepoConfigAt(dir, baseRef ?? 'HEAD');
  } catch (error) {
    if (error instanceof RepoConfigError) throw new ValidationError(`${error.message}; fix the file and commit it`);
    throw error;
  }
}
