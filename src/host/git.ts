import { simpleGit, type SimpleGit } from 'simple-git';

/**
 * A simple-git handle with a fixed identity, so commits work on hosts without a global git
 * config and every commit says it was made by the runner.
 */
export function gitIn(dir: string): SimpleGit {
  return simpleGit(dir, { config: ['user.name=codex-runner', 'user.email=codex-runner@localhost'] });
}

/** `git rev-parse --verify <ref>^{commit}`, or `undefined` when the ref names no commit. */
export async function resolveCommit(git: SimpleGit, ref: string): Promise<string | undefined> {
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
