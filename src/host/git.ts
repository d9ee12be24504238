import { execFile } from 'node:child_process';
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

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

const RUNNER_IDENTITY = {
  GIT_AUTHOR_NAME: 'codex-runner',
  GIT_AUTHOR_EMAIL: 'codex-runner@localhost',
  GIT_COMMITTER_NAME: 'codex-runner',
  GIT_COMMITTER_EMAIL: 'codex-runner@localhost',
};

/** Runs git and returns its exit code instead of throwing: some commands (merge-tree) say things with it. */
export function runGit(cwd: string, args: string[], env: Record<string, string> = {}): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, ...RUNNER_IDENTITY, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`Cannot run git ${args[0] ?? ''}: ${error.message}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

async function isAncestor(repoPath: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await runGit(repoPath, ['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
}

export type MergeOutcome = { merged: true; sha: string } | { merged: false; conflictedFiles: string[] };

/**
 * Merges `theirs` into `ours` in the object database only (`git merge-tree --write-tree`), with
 * no worktree and no index, so there is no half-merged state for a killed worker to leave behind.
 * The merge commit's dates are fixed by the caller: the same inputs give the same commit sha,
 * which keeps a retried activity from making a second, different merge. Fast-forwards and
 * already-merged commits make no new commit.
 */
export async function mergeCommits(repoPath: string, ours: string, theirs: string, message: string, date: string): Promise<MergeOutcome> {
  if (await isAncestor(repoPath, theirs, ours)) return { merged: true, sha: ours };
  if (await isAncestor(repoPath, ours, theirs)) return { merged: true, sha: theirs };
  const tree = await runGit(repoPath, ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs]);
  if (tree.code === 1) {
    const [, ...files] = tree.stdout.trim().split('\n');
    return { merged: false, conflictedFiles: files.filter((file) => file !== '') };
  }
  if (tree.code !== 0) throw new Error(`git merge-tree failed: ${tree.stderr.trim()}`);
  const treeSha = tree.stdout.trim().split('\n')[0]!;
  const commit = await runGit(repoPath, ['commit-tree', treeSha, '-p', ours, '-p', theirs, '-m', message], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  if (commit.code !== 0) throw new Error(`git commit-tree failed: ${commit.stderr.trim()}`);
  return { merged: true, sha: commit.stdout.trim() };
}
