import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FULL_COMMIT_ID } from '../contracts/ids';
import { launcher, LauncherGoneError } from './launcher';

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

/**
 * The variables that point git at another repository (`git rev-parse --local-env-vars`). A worker
 * started from inside a git hook inherits them, and every command would then act on that
 * repository instead of the one named by `cwd`; they are dropped, as simple-git drops them.
 */
const REPOSITORY_ENV = new Set([
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
]);

function gitEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !REPOSITORY_ENV.has(key)));
  return { ...inherited, ...RUNNER_IDENTITY, ...env };
}

/**
 * Runs git and returns its exit code instead of throwing: some commands (merge-tree, diff
 * --quiet) say things with it. Every git command the activities run goes through here and the
 * {@link launcher}: in a worker, a small helper process starts them (a fork of the worker
 * itself costs 15–30 ms of CPU); the activities still keep their git calls few.
 * @throws Error only when git cannot be started at all (no git, or `cwd` does not exist).
 */
export async function runGit(cwd: string, args: string[], env: Record<string, string> = {}): Promise<GitRun> {
  const run = await launcher().run('git', args, { cwd, env: gitEnv(env) });
  if (run.code === null) throw new Error(`Cannot run git ${args[0] ?? ''}: ${run.startError ?? `ended by ${run.signal}`}`);
  return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Runs git and returns its stdout, trimmed.
 * @throws Error carrying git's stderr when git exits with anything but 0.
 */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const run = await runGit(cwd, args, env);
  if (run.code !== 0) throw new Error(`git ${args[0] ?? ''} failed: ${run.stderr.trim() || `exit code ${run.code}`}`);
  return run.stdout.trim();
}

/**
 * For the questions below, git that cannot start in `cwd` (it is gone, not a folder) is an answer:
 * no. A dead launcher is not: it goes up as it is, for the activity's retry to ask again.
 */
function cannotStart(error: unknown): undefined {
  if (error instanceof LauncherGoneError) throw error;
  return undefined;
}

/** The commit `ref` names in the repository at `cwd`, or `undefined` when it names none. */
export async function commitOf(cwd: string, ref: string): Promise<string | undefined> {
  const run = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(cannotStart);
  return run?.code === 0 ? run.stdout.trim() || undefined : undefined;
}

/**
 * Whether `dir` is the root of a git repository (its `.git`, or a bare repository itself): what
 * the client checks before it creates a task and the worktree step checks again.
 */
export async function isRepositoryRoot(dir: string): Promise<boolean> {
  const gitDir = await runGit(dir, ['rev-parse', '--git-dir']).catch(cannotStart);
  return gitDir?.code === 0 && /^\.(git)?$/.test(gitDir.stdout.trim());
}

/** A checkout's own git directory (index, HEAD) and the directory it shares with its repository (refs, objects, info). */
export interface GitDirs {
  gitDir: string;
  commonDir: string;
}

/** The directory a `.git` file points to (`gitdir: <path>`: how a linked worktree finds its git dir). */
export async function gitDirPointedAt(checkout: string): Promise<string | undefined> {
  try {
    const pointer = /^gitdir: (.+)$/m.exec(await readFile(path.join(checkout, '.git'), 'utf8'))?.[1];
    return pointer === undefined ? undefined : path.resolve(checkout, pointer.trim());
  } catch {
    return undefined;
  }
}

async function readGitDirs(checkout: string): Promise<GitDirs | undefined> {
  const dotGit = path.join(checkout, '.git');
  try {
    if ((await stat(dotGit)).isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
  } catch {
    return undefined;
  }
  const gitDir = await gitDirPointedAt(checkout);
  if (gitDir === undefined) return undefined;
  try {
    return { gitDir, commonDir: path.resolve(gitDir, (await readFile(path.join(gitDir, 'commondir'), 'utf8')).trim()) };
  } catch (error) {
    // No `commondir`: a checkout with a repository of its own behind the pointer (a submodule).
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { gitDir, commonDir: gitDir } : undefined;
  }
}

/**
 * Where `checkout`'s git directories are, read from the files git keeps the answer in (`.git`,
 * `<gitDir>/commondir`) rather than asked of `git rev-parse` (a fork of the worker); one
 * `git rev-parse` when the files say something unexpected.
 * @throws Error when `checkout` is not in a git repository.
 */
export async function gitDirsOf(checkout: string): Promise<GitDirs> {
  const read = await readGitDirs(checkout);
  if (read !== undefined) return read;
  const [gitDir = '', commonDir = ''] = (await git(checkout, ['rev-parse', '--git-dir', '--git-common-dir'])).split('\n');
  return { gitDir: path.resolve(checkout, gitDir), commonDir: path.resolve(checkout, commonDir) };
}

export type MergeOutcome = { merged: true; sha: string } | { merged: false; conflictedFiles: string[] };

/**
 * Merges `theirs` into `ours` in the object database only (`git merge-tree --write-tree`), with
 * no worktree and no index, so there is no half-merged state for a killed worker to leave behind.
 * The merge commit's dates are fixed by the caller: the same inputs give the same commit sha,
 * which keeps a retried activity from making a second, different merge. Fast-forwards and
 * already-merged commits make no new commit. `ours` and `theirs` are full commit shas.
 */
export async function mergeCommits(repoPath: string, ours: string, theirs: string, message: string, date: string): Promise<MergeOutcome> {
  // The ancestry checks compare git's output with the ids given: an abbreviated id would never
  // match, and a fast-forward would silently become a merge commit.
  for (const id of [ours, theirs]) {
    if (!FULL_COMMIT_ID.test(id)) throw new Error(`mergeCommits takes full commit ids; got ${JSON.stringify(id)}`);
  }
  // When one side is an ancestor of the other it is their one best common ancestor, so one
  // merge-base answers both ancestry questions (exit 1: unrelated histories, for merge-tree to refuse).
  const base = await runGit(repoPath, ['merge-base', ours, theirs]);
  if (base.code === 0 && base.stdout.trim() === theirs) return { merged: true, sha: ours };
  if (base.code === 0 && base.stdout.trim() === ours) return { merged: true, sha: theirs };
  const tree = await runGit(repoPath, ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs]);
  if (tree.code === 1) {
    const [, ...files] = tree.stdout.trim().split('\n');
    return { merged: false, conflictedFiles: files.filter((file) => file !== '') };
  }
  if (tree.code !== 0) throw new Error(`git merge-tree failed: ${tree.stderr.trim()}`);
  const treeSha = tree.stdout.trim().split('\n')[0]!;
  const sha = await git(repoPath, ['commit-tree', treeSha, '-p', ours, '-p', theirs, '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return { merged: true, sha };
}
