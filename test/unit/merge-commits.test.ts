import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { resolveGraphBase } from '../../src/activities/graph-branch';
import { commitOf, isRepositoryRoot, mergeCommits } from '../../src/host/git';
import { LauncherGoneError, useLauncher } from '../../src/host/launcher';
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

  it('lets a dead launcher through, for the retry, instead of answering no', async () => {
    const gone = new LauncherGoneError('The launcher process ended (SIGKILL) while running a command');
    const restore = useLauncher({ run: () => Promise.reject(gone) });
    try {
      await expect(commitOf(repo, 'HEAD')).rejects.toBe(gone);
      await expect(isRepositoryRoot(repo)).rejects.toBe(gone);
      // Before, the graph failed for good here: "HEAD names no commit".
      await expect(resolveGraphBase({ repoPath: repo })).rejects.toBe(gone);
    } finally {
      restore();
    }
  });
});
