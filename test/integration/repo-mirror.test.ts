import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { commitTaskWork } from '../../src/activities/commit-task-work';
import { provisionWorktree } from '../../src/activities/provision-worktree';
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
  // On from what the remote has of the branch (what provisioning does for a task that moved here).
  await git.raw(['reset', '--quiet', '--hard', 'refs/remotes/origin/plato/task-x']);
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

it('follows the remote as it deletes, renames and tags: pruned branches, every tag, the default branch', async () => {
  const otherDir = path.join(root, 'other');
  await other.checkout('trunk');
  await other.checkoutLocalBranch('feature');
  await other.push('origin', 'feature');
  await mirrorOf(url, { fresh: true });
  // Off any branch, and moved later: a tag means what it means on the remote.
  const side = await commitIn(other, otherDir, 'side.txt');
  await other.raw(['tag', 'vside', side]);
  await other.raw(['push', 'origin', 'vside', ':refs/heads/feature']);
  await other.checkout('trunk');
  await other.deleteLocalBranch('feature', true);
  await other.checkoutLocalBranch('feature/x');
  await other.push('origin', 'feature/x');
  await other.checkoutLocalBranch('main');
  await other.push('origin', 'main');
  await simpleGit(path.join(root, 'remote.git')).raw(['symbolic-ref', 'HEAD', 'refs/heads/main']);

  const mirror = await mirrorOf(url, { fresh: true });
  const git = simpleGit(mirror);
  const heads = (await git.raw(['for-each-ref', '--format=%(refname)', 'refs/heads'])).split('\n').filter(Boolean);
  expect(heads).toContain('refs/heads/feature/x');
  expect(heads).not.toContain('refs/heads/feature');
  expect(heads).toContain('refs/heads/plato/task-x'); // this host's own, never pruned
  expect((await git.revparse(['vside^{commit}'])).trim()).toBe(side);
  expect((await git.raw(['symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/main');
});

it('pushes a task branch only forward, and a graph branch as merged', async () => {
  const mirror = await mirrorOf(url, { fresh: true });
  const trunk = (await simpleGit(mirror).revparse(['trunk'])).trim();
  // plato/task-x on the remote holds commits trunk lacks: moving it back to trunk is refused.
  await expect(pushBranch(mirror, trunk, 'plato/task-x')).rejects.toThrow(/git push of plato\/task-x failed: .*(rejected|non-fast-forward)/s);
  await pushBranch(mirror, trunk, 'plato/graph-g');
  const older = (await simpleGit(mirror).revparse(['trunk~1'])).trim();
  await pushBranch(mirror, older, 'plato/graph-g', { force: true });
  expect((await simpleGit(path.join(root, 'remote.git')).revparse(['plato/graph-g'])).trim()).toBe(older);
});

it('continues a task that moved between hosts and back from its pushed branch, never from what a host had before', async () => {
  const remote = path.join(root, 'remote.git');
  const onHost = async (host: string, file: string) => {
    process.env.PLATO_HOME = path.join(root, host);
    const worktree = await provisionWorktree({ taskId: 'moves', repoUrl: url, baseRef: 'trunk' });
    const git = simpleGit(worktree.worktreePath);
    await git.addConfig('user.email', 't@example.com').addConfig('user.name', 'T');
    const seen = (await readdir(worktree.worktreePath)).filter((entry) => entry.endsWith('.txt')).sort();
    await writeFile(path.join(worktree.worktreePath, file), `${file}\n`);
    await commitTaskWork({ taskId: 'moves', worktreePath: worktree.worktreePath, baseSha: worktree.baseSha, message: file, repoUrl: url });
    return seen;
  };
  const base = (await simpleGit(remote).raw(['ls-tree', '--name-only', 'trunk'])).split('\n').filter((entry) => entry.endsWith('.txt'));
  expect(await onHost('host-a', 'a1.txt')).toEqual(base.sort());
  expect(await onHost('host-b', 'b1.txt')).toEqual([...base, 'a1.txt'].sort());
  // Back on host A, whose branch and worktree still stand at a1: they follow the pushed b1.
  expect(await onHost('host-a', 'a2.txt')).toEqual([...base, 'a1.txt', 'b1.txt'].sort());
  const files = (await simpleGit(remote).raw(['ls-tree', '--name-only', 'plato/task-moves'])).split('\n');
  expect(files).toEqual(expect.arrayContaining(['a1.txt', 'b1.txt', 'a2.txt']));
  process.env.PLATO_HOME = path.join(root, 'host-home');
});

it('fetches again when another process on the host holds one of the mirror’s ref locks', async () => {
  const otherDir = path.join(root, 'other');
  await other.checkout('trunk');
  const moved = await commitIn(other, otherDir, 'locked.txt');
  await other.push('origin', 'trunk');
  // What another worker's fetch of the same mirror holds while it updates trunk.
  const mirror = mirrorPathOf(url);
  const lock = path.join(mirror, 'refs', 'heads', 'trunk.lock');
  await writeFile(lock, '');
  const released = setTimeout(() => void rm(lock, { force: true }), 200);
  try {
    await mirrorOf(url, { fresh: true });
  } finally {
    clearTimeout(released);
    await rm(lock, { force: true });
  }
  expect((await simpleGit(mirror).revparse(['trunk'])).trim()).toBe(moved);
});
