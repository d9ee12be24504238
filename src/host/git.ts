import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GitConstructError, simpleGit } from 'simple-git';
import { FULL_COMMIT_ID } from '../contracts/ids';

/**
 * Every git command codex-runner runs goes through here, on simple-git.
 *
 * simple-git is configured for plumbing whose exit code is an answer (`merge-tree` exits 1 for
 * conflicts, `diff --quiet` for differences): its `errors` option records every command's exit
 * code and output and lets the caller judge them. Its environment guard drops the `GIT_*`
 * variables a worker started from a git hook would inherit, which would point every command at
 * that hook's repository. Commits are made as `codex-runner`.
 *
 * simple-git waits 50 ms after a command that printed nothing before it settles, whatever its
 * `completion` option says; the commands on a task's path are asked to print something (`add
 * --verbose`, `commit` without `--quiet`, `update-ref --stdin` in a transaction).
 */

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Written to the command's standard input. */
  input?: string;
}

const RUNNER_IDENTITY = ['user.name=codex-runner', 'user.email=codex-runner@localhost'];

/** The identity line of the merge commits codex-runner writes (`author` and `committer`). */
const RUNNER_SIGNATURE = 'codex-runner <codex-runner@localhost>';

/**
 * Runs git in `cwd` and returns its exit code and output instead of throwing.
 * @throws Error when git cannot run at all (`cwd` does not exist, no git installed).
 */
export async function runGit(cwd: string, args: string[], options: GitOptions = {}): Promise<GitRun> {
  const answered: { run?: GitRun } = {};
  let git;
  try {
    git = simpleGit({
      baseDir: cwd,
      config: RUNNER_IDENTITY,
      completion: { onClose: true, onExit: false },
      errors: (error, result) => {
        // No exit code (ended by a signal) or a negative one (git could not be spawned): no answer.
        if (typeof result.exitCode !== 'number' || result.exitCode < 0) return error ?? new Error('git ended without an exit code');
        answered.run = { code: result.exitCode, stdout: Buffer.concat(result.stdOut).toString('utf8'), stderr: Buffer.concat(result.stdErr).toString('utf8') };
        return undefined;
      },
      ...(options.input === undefined ? {} : { input: () => options.input }),
    });
  } catch (error) {
    throw new Error(`Cannot run git ${args[0] ?? ''} in ${cwd}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await git.raw(args);
  } catch (error) {
    throw new Error(`Cannot run git ${args[0] ?? ''} in ${cwd}: ${(error as Error).message.trim()}`, { cause: error });
  }
  return answered.run!;
}

/**
 * Runs git and returns its stdout, trimmed.
 * @throws Error carrying git's stderr when git exits with anything but 0.
 */
export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<string> {
  const run = await runGit(cwd, args, options);
  if (run.code !== 0) throw new Error(`git ${args[0] ?? ''} failed: ${run.stderr.trim() || `exit code ${run.code}`}`);
  return run.stdout.trim();
}

/** For the questions below, a folder git cannot run in (gone, not a folder) is an answer: no. */
async function answer(cwd: string, args: string[]): Promise<GitRun | undefined> {
  try {
    return await runGit(cwd, args);
  } catch (error) {
    if (error instanceof Error && error.cause instanceof GitConstructError) return undefined;
    throw error;
  }
}

/** The commit `ref` names in the repository at `cwd`, or `undefined` when it names none. */
export async function commitOf(cwd: string, ref: string): Promise<string | undefined> {
  const run = await answer(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return run?.code === 0 ? run.stdout.trim() || undefined : undefined;
}

/**
 * Whether `dir` is the root of a git repository (its `.git`, or a bare repository itself): what
 * the client checks before it creates a task and the worktree step checks again.
 */
export async function isRepositoryRoot(dir: string): Promise<boolean> {
  const gitDir = await answer(dir, ['rev-parse', '--git-dir']);
  return gitDir?.code === 0 && /^\.(git)?$/.test(gitDir.stdout.trim());
}

/** Sets branch `branchName` to `sha`, in one ref transaction. */
export async function setBranch(repoPath: string, branchName: string, sha: string): Promise<void> {
  await git(repoPath, ['update-ref', '--stdin'], { input: `start\nupdate refs/heads/${branchName} ${sha}\ncommit\n` });
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
 * `<gitDir>/commondir`); one `git rev-parse` when the files say something unexpected.
 * @throws Error when `checkout` is not in a git repository.
 */
export async function gitDirsOf(checkout: string): Promise<GitDirs> {
  const read = await readGitDirs(checkout);
  if (read !== undefined) return read;
  const [gitDir = '', commonDir = ''] = (await git(checkout, ['rev-parse', '--git-dir', '--git-common-dir'])).split('\n');
  return { gitDir: path.resolve(checkout, gitDir), commonDir: path.resolve(checkout, commonDir) };
}

/**
 * The commit `checkout`'s HEAD is at, read from the files git keeps it in (`HEAD`, and the loose
 * ref it names); one `git rev-parse HEAD` when they say something else (a packed ref, reftable).
 * @throws Error when `checkout` is not in a git repository or HEAD names no commit.
 */
export async function headCommitOf(checkout: string): Promise<string> {
  const { gitDir, commonDir } = await gitDirsOf(checkout);
  const head = (await readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
  const ref = /^ref: (refs\/heads\/\S+)$/.exec(head)?.[1];
  const sha = ref === undefined ? head : (await readFile(path.join(commonDir, ref), 'utf8').catch(() => '')).trim();
  return FULL_COMMIT_ID.test(sha) ? sha : git(checkout, ['rev-parse', 'HEAD']);
}

export type MergeOutcome = { merged: true; sha: string } | { merged: false; conflictedFiles: string[] };

/**
 * Merges `theirs` into `ours` in the object database only (`git merge-tree --write-tree`), with
 * no worktree and no index, so there is no half-merged state for a killed worker to leave behind.
 * The merge commit is written with codex-runner's identity and the caller's `date`: the same
 * inputs give the same commit sha, which keeps a retried activity from making a second,
 * different merge. Fast-forwards and already-merged commits make no new commit. `ours` and
 * `theirs` are full commit shas.
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
  const when = `${Math.floor(Date.parse(date) / 1000)} +0000`;
  const commit = `tree ${treeSha}\nparent ${ours}\nparent ${theirs}\nauthor ${RUNNER_SIGNATURE} ${when}\ncommitter ${RUNNER_SIGNATURE} ${when}\n\n${message}\n`;
  return { merged: true, sha: await git(repoPath, ['hash-object', '-t', 'commit', '-w', '--stdin'], { input: commit }) };
}
