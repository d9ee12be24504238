import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { git, runGit } from './git';
import { platoHome } from './plato-home';

/**
 * A host's mirror of a repository named by its git URL: a bare repository under
 * `<PLATO_HOME>/mirrors`, one per URL, which the host's task worktrees are made from.
 *
 * It fetches the remote's branches and tags as its own (`refs/heads/*`, `refs/tags/*`, pruned
 * of what the remote deleted), so a base ref (`main`, `v1`, `HEAD`) means what it means on the
 * remote, except `plato/*`: those are the task and graph branches, checked out in this host's
 * worktrees (git refuses to fetch into a checked-out branch) or not pushed yet, and what the
 * remote has of them arrives as `refs/remotes/origin/plato/*`, never pruned. A negative refspec
 * excludes its refs from every refspec of the same fetch, so those are two fetches, each with
 * `--refmap=` (no configured refspec adds to them).
 */
const FETCHES = [
  ['--prune', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', '^refs/heads/plato/*'],
  ['origin', '+refs/heads/plato/*:refs/remotes/origin/plato/*'],
];

/** A fetch that lost a ref lock to another process's fetch of the same mirror (the workers of one host share it). */
const LOCK_CONTENTION = /cannot lock ref|unable to update local ref|\.lock': File exists/i;
const FETCH_ATTEMPTS = 5;

/** Where this host keeps its mirror of `url`: `<PLATO_HOME>/mirrors/<name>-<hash of the URL>.git`. */
export function mirrorPathOf(url: string, home = platoHome()): string {
  const name = (url.replace(/\/+$/, '').split(/[/:]/).at(-1) ?? 'repository').replace(/\.git$/, '').replace(/[^\w.-]/g, '_') || 'repository';
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return path.join(home, 'mirrors', `${name}-${hash}.git`);
}

/**
 * One git operation at a time per mirror in this process: concurrent fetches would race for its
 * ref locks. Another process on the host (its other workers, the CLI) is not held back: a fetch
 * that loses a lock to it tries again.
 */
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(mirror: string, work: () => Promise<T>): Promise<T> {
  const run = (queues.get(mirror) ?? Promise.resolve()).then(work, work);
  queues.set(
    mirror,
    run.catch(() => undefined),
  );
  return run;
}

export interface MirrorNeeds {
  /** Fetch even when the mirror has everything asked for (to see where the remote's branches are now). */
  fresh?: boolean;
  /** Commits the caller is about to use: fetched when the mirror lacks any of them. */
  commits?: readonly string[];
}

/**
 * The path of this host's mirror of `url`, made on first use (cloned into a temporary directory
 * and moved into place, so a host killed mid-clone leaves no half mirror) and fetched when
 * `needs` asks for it.
 * @throws Error naming the URL when git cannot read it, or when a needed commit is not on the remote.
 */
export function mirrorOf(url: string, needs: MirrorNeeds = {}): Promise<string> {
  const mirror = mirrorPathOf(url);
  return serialized(mirror, async () => {
    if (!existsSync(mirror)) {
      await clone(url, mirror);
    } else if (needs.fresh || (await missing(mirror, needs.commits ?? [])).length > 0) {
      await fetch(mirror, url);
    }
    const absent = await missing(mirror, needs.commits ?? []);
    if (absent.length > 0) throw new Error(`${url} has no commit ${absent.join(', ')} (not pushed yet, or pushed elsewhere)`);
    return mirror;
  });
}

async function clone(url: string, mirror: string): Promise<void> {
  await mkdir(path.dirname(mirror), { recursive: true });
  const partial = `${mirror}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await git(path.dirname(mirror), ['init', '--quiet', '--bare', partial]);
  try {
    await git(partial, ['config', 'remote.origin.url', url]);
    await fetch(partial, url);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  await rename(partial, mirror).catch(async (error: NodeJS.ErrnoException) => {
    // Another process on this host made it first: theirs serves.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(mirror)) throw error;
  });
}

/** Fetches the remote's refs (see FETCHES) and takes its default branch as HEAD, so a task without a base ref starts where a clone would. */
async function fetch(mirror: string, url: string): Promise<void> {
  for (const refspecs of FETCHES) {
    for (let attempt = 1; ; attempt++) {
      const fetched = await runGit(mirror, ['fetch', '--quiet', '--no-write-fetch-head', '--refmap=', ...refspecs]);
      if (fetched.code === 0) break;
      if (attempt < FETCH_ATTEMPTS && LOCK_CONTENTION.test(fetched.stderr)) {
        await sleep(100 + Math.random() * 400);
        continue;
      }
      throw new Error(`git fetch ${url} failed: ${fetched.stderr.trim() || `exit code ${fetched.code}`}`);
    }
  }
  const head = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(await git(mirror, ['ls-remote', '--symref', 'origin', 'HEAD']))?.[1];
  if (head !== undefined) await git(mirror, ['symbolic-ref', 'HEAD', head]);
}

async function missing(mirror: string, commits: readonly string[]): Promise<string[]> {
  const absent: string[] = [];
  for (const commit of commits) {
    if ((await runGit(mirror, ['cat-file', '-e', `${commit}^{commit}`])).code !== 0) absent.push(commit);
  }
  return absent;
}

/**
 * Pushes `sha` to branch `branchName` of the mirror's remote, from `repo` (the mirror or one of
 * its worktrees). A task branch only moves forward (a task that moved hosts continues from what
 * was pushed: see provision-worktree.ts), so a push that is not a fast-forward is refused rather
 * than losing what is there; a graph branch is forced (`force`): its merges are made again from
 * the children's commits, by the graph alone.
 * @throws Error with git's reason when the remote refuses.
 */
export async function pushBranch(repo: string, sha: string, branchName: string, { force = false } = {}): Promise<void> {
  const pushed = await runGit(repo, ['push', '--quiet', '--porcelain', 'origin', `${force ? '+' : ''}${sha}:refs/heads/${branchName}`]);
  if (pushed.code !== 0) throw new Error(`git push of ${branchName} failed: ${(pushed.stderr || pushed.stdout).trim()}`);
}
