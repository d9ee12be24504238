import path from 'node:path';
import { isDirectory } from '../host/files';
import { commitOf, isRepositoryRoot } from '../host/git';
import { ValidationError } from './errors';

/**
 * Refuses a repository the task could not work in, before anything is created: the path must be
 * the root of a git repository with at least one commit, and `baseRef` (when given) must name a
 * commit. Returns the absolute repository path.
 */
export async function checkRepository(repoPath: string, baseRef?: string): Promise<string> {
  const absolute = path.resolve(repoPath);
  if (!isDirectory(absolute)) {
    throw new ValidationError(`repoPath: ${absolute} does not exist; pass the root of a git repository`);
  }
  if (!(await isRepositoryRoot(absolute))) {
    throw new ValidationError(`repoPath: ${absolute} is not a git repository; pass the root of a git repository (or run \`git init\` there)`);
  }
  const resolves = async (ref: string) => (await commitOf(absolute, ref)) !== undefined;
  if (baseRef !== undefined && !(await resolves(baseRef))) {
    throw new ValidationError(`baseRef: ${baseRef} is not a branch, tag or commit in ${absolute}`);
  }
  if (baseRef === undefined && !(await resolves('HEAD'))) {
    throw new ValidationError(`repoPath: ${absolute} has no commits yet; commit something first or pass --base-ref`);
  }
  return absolute;
}
