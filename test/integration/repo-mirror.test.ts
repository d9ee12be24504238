import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { mirrorOf, mirrorPathOf, pushBranch } from '../../src/host/repo-mirror';

// A host's mirror, against a real bare remote that another "host" (a plain clone) pushes to.
let root: string;
let url: string;
let other: ReturnType<typeof simpleGit>;
const savedHome = process.env.PLATO_HOME;

async function commitIn(git: ReturnType<typeof simpleGit>, dir: string, file: string): Promise<string> {
  await writeFile(path.join(dir, file), `${file}\n`);
  await git.add(file);
  await git.commit(`add ${file}`);
  return (await git.revparse(['HEAD'])).trim();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'codex-runner-mirror-'));
  process.env.PLATO_HOME = path.join(root, 'host-home');
  const seed = path.join(root, 'seed');
  await simpleGit().init([seed, '--initial-branch=trunk', '--quiet']);
  const seedGit = simpleGit(seed);
  await seedGit.addConfig('user.email', 't@example.com').addConfig('user.name', 'T');
  await commitIn(seedGit, seed, 'a.txt');
  const remote = path.join(root, 'remote.git');
  await simpleGit().clone(seed, remote, ['--bare', '--quiet']);
  url = pathToFileURL(remote).href;
  const otherDir = path.join(root, 'other');
  await simpleGit().clone(remote, otherDir, ['--quiet']);
  other = simpleGit(otherDir);
  await other.addConfig('user.email', 't@example.com').addConfig('user.name', 'T');
});

afterAll(async () => {
  process.env.PLATO_HOME = savedHome;
  await rm(root, { recursive: true, force: true });
});

it('clones a bare mirror whose HEAD is the remote’s default branch', async () => {
  const mirror = await mirrorOf(url);
  expect(mirror).toBe(mirrorPathOf(url));
  const git = simpleGit(mirror);
  expect((await git.raw(['rev-parse', '--is-bare-repository'])).trim()).toBe('true');
  expect((await git.raw(['symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/trunk');
});

it('fetches another host’s task branch beside the one checked out here, never into it', async () => {
  const mirror = await mirrorOf(url);
  const worktree = path.join(root, 'worktree-x');
  await simpleGit(mirror).raw(['worktree', 'add', '--quiet', '-b', 'plato/task-x', worktree, 'trunk']);
  const here = (await simpleGit(worktree).revparse(['HEAD'])).trim();

  // Elsewhere, the same task branch moved (a relocated task) and trunk moved on.
  await other.checkoutLocalBranch('plato/task-x');
  const theirs = await commitIn(other, path.join(root, 'other'), 'x.txt');
  await other.push('origin', 'plato/task-x');
  await other.checkout('trunk');
  const trunk = await commitIn(other, path.join(root, 'other'), 'b.txt');
  await other.push('origin', 'trunk');

  await mirrorOf(url, { fresh: true });
  const git = simpleGit(mirror);
  expect((await git.revparse(['refs/heads/trunk'])).trim()).toBe(trunk);
  expect((await git.revparse(['refs/remotes/origin/plato/task-x'])).trim()).toBe(theirs);
  expect((await git.revparse(['refs/heads/plato/task-x'])).trim()).toBe(here);
});

it('fetches a commit it lacks when asked for it, and names a commit the remote does not have', async () => {
  await other.checkoutLocalBranch('plato/task-y');
  const pushed = await commitIn(other, path.join(root, 'other'), 'y.txt');
  await other.push('origin', 'plato/task-y');
  const mirror = await mirrorOf(url, { commits: [pushed] });
  expect((await simpleGit(mirror).raw(['cat-file', '-t', pushed])).trim()).toBe('commit');

  const unpushed = await commitIn(other, path.join(root, 'other'), 'z.txt');
  await expect(mirrorOf(url, { commits: [unpushed] })).rejects.toThrow(`${url} has no commit ${unpushed} (not pushed yet`);
});

it('pushes a commit made here to a task branch of the remote', async () => {
  const mirror = await mirrorOf(url);
  const worktree = path.join(root, 'worktree-x');
  const git = simpleGit(worktree);
  await git.addConfig('user.email', 't@example.com').addConfig('user.name', 'T');
  const mine = await commitIn(git, worktree, 'mine.txt');
  await pushBranch(mirror, mine, 'plato/task-x');
  expect((await simpleGit(path.join(root, 'remote.git')).revparse(['plato/task-x'])).trim()).toBe(mine);
});

it('names the URL when git cannot read it, and leaves no half mirror', async () => {
  const missing = `${url}-missing`;
  await expect(mirrorOf(missing)).rejects.toThrow(`git fetch ${missing} failed`);
  const name = path.basename(mirrorPathOf(missing));
  expect((await readdir(path.dirname(mirrorPathOf(missing)))).filter((entry) => entry.startsWith(name))).toEqual([]);
});
