import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { resolveGraphBase } from '../../src/activities/graph-branch';
import { commitOf, headCommitOf, isRepositoryRoot, mergeCommits } from '../../src/host/git';
import { makeTestRepo } from '../support/test-repo';

describe('mergeCommits', () => {
  let repo: string;
  let base: string;
  let ahead: string;

  beforeAll(async () => {
    repo = await makeTestRepo('merge-commits-', { 'a.txt': 'a\n' });
    const git = simpleGit(repo);
    base = (await git.revparse(['HEAD'])).trim();
    await writeFile(path.join(repo, 'b.txt'), 'b\n');
    await git.add('.');
    await git.commit('ahead');
    ahead = (await git.revparse(['HEAD'])).trim();
  });

  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('fast-forwards between full commit ids without making a commit', async () => {
    await expect(mergeCommits(repo, base, ahead, 'merge', '2026-01-01T00:00:00Z')).resolves.toEqual({ merged: true, sha: ahead });
    await expect(mergeCommits(repo, ahead, base, 'merge', '2026-01-01T00:00:00Z')).resolves.toEqual({ merged: true, sha: ahead });
  });

  it('refuses an abbreviated id, which would turn a fast-forward into a merge commit', async () => {
    await expect(mergeCommits(repo, base, ahead.slice(0, 12), 'merge', '2026-01-01T00:00:00Z')).rejects.toThrow(
      `mergeCommits takes full commit ids; got "${ahead.slice(0, 12)}"`,
    );
    await expect(mergeCommits(repo, 'HEAD', ahead, 'merge', '2026-01-01T00:00:00Z')).rejects.toThrow('full commit ids');
  });
});

describe('asking git about a repository', () => {
  let repo: string;

  beforeAll(async () => {
    repo = await makeTestRepo('ask-git-', { 'a.txt': 'a\n' });
  });

  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('answers no where git cannot start (no such folder)', async () => {
    await expect(commitOf(path.join(repo, 'gone'), 'HEAD')).resolves.toBeUndefined();
    await expect(isRepositoryRoot(path.join(repo, 'gone'))).resolves.toBe(false);
    await expect(isRepositoryRoot(repo)).resolves.toBe(true);
  });

  it('reads HEAD from its files: a branch, a detached HEAD, and a packed ref by asking git', async () => {
    const git = simpleGit(repo);
    const head = (await git.revparse(['HEAD'])).trim();
    await expect(headCommitOf(repo)).resolves.toBe(head);
    await git.raw(['pack-refs', '--all']);
    await expect(headCommitOf(repo)).resolves.toBe(head);
    await git.checkout(['--detach', 'HEAD']);
    try {
      await expect(headCommitOf(repo)).resolves.toBe(head);
    } finally {
      await git.checkout(['main']);
    }
  });

  it('lets a failure to run git through, instead of answering no', async () => {
    const originalPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(commitOf(repo, 'HEAD')).rejects.toThrow('Cannot run git rev-parse');
      await expect(isRepositoryRoot(repo)).rejects.toThrow('Cannot run git rev-parse');
      // Answered "no", the graph would fail for good: "HEAD names no commit".
      await expect(resolveGraphBase({ repoPath: repo })).rejects.toThrow('Cannot run git rev-parse');
    } finally {
      process.env.PATH = originalPath;
    }
  });
});

describe('mergeCommits of diverged commits', () => {
  it('writes the same merge commit every time, as codex-runner, at the given date', async () => {
    const repo = await makeTestRepo('merge-diverged-', { 'a.txt': 'a\n' });
    try {
      const git = simpleGit(repo);
      const base = (await git.revparse(['HEAD'])).trim();
      const commitOn = async (branch: string, file: string) => {
        await git.checkout(['-b', branch, base]);
        await writeFile(path.join(repo, file), `${file}\n`);
        await git.add('.').commit(file);
        return (await git.revparse(['HEAD'])).trim();
      };
      const left = await commitOn('left', 'l.txt');
      const right = await commitOn('right', 'r.txt');
      const first = await mergeCommits(repo, left, right, 'codex-runner: merge right', '2026-01-02T03:04:05Z');
      const again = await mergeCommits(repo, left, right, 'codex-runner: merge right', '2026-01-02T03:04:05Z');
      expect(first.merged && again.merged && first.sha === again.sha).toBe(true);
      const sha = first.merged ? first.sha : '';
      expect((await git.raw(['log', '-1', '--format=%P|%an <%ae> %aI|%cn %cI|%s', sha])).trim()).toBe(
        `${left} ${right}|codex-runner <codex-runner@localhost> 2026-01-02T03:04:05+00:00|codex-runner 2026-01-02T03:04:05+00:00|codex-runner: merge right`,
      );
      expect((await git.raw(['ls-tree', '--name-only', sha])).trim().split('\n')).toEqual(['a.txt', 'l.txt', 'r.txt']);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});
