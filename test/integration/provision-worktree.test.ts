import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { provisionWorktree } from '../../src/activities/provision-worktree';
import { logGitCommands, type GitCommandLog } from '../support/git-command-log';
import { makeTestRepo } from '../support/test-repo';

let repo: string;

beforeEach(async () => {
  repo = await makeTestRepo('provision-worktree-', { 'README.md': 'base\n' });
});

afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('provisionWorktree', () => {
  it('makes the branch and worktree, and keeps .plato/ out of git status', async () => {
    const allocation = await provisionWorktree({ taskId: 't1', repoPath: repo });
    expect(allocation).toMatchObject({ worktreePath: path.join(repo, '.plato/worktrees/t1'), branchName: 'plato/task-t1', reused: false });
    expect(allocation.baseSha).toBe((await simpleGit(repo).revparse(['HEAD'])).trim());
    expect(await readFile(path.join(allocation.worktreePath, 'README.md'), 'utf8')).toBe('base\n');
    expect(await readFile(path.join(repo, '.git/info/exclude'), 'utf8')).toContain('/.plato/');
    expect((await simpleGit(repo).status()).isClean()).toBe(true);
  });

  it('succeeds again when run twice for the same task, as a retry would', async () => {
    const first = await provisionWorktree({ taskId: 't1', repoPath: repo });
    await writeFile(path.join(first.worktreePath, 'work.txt'), 'in progress\n');
    const second = await provisionWorktree({ taskId: 't1', repoPath: repo });
    expect(second).toEqual({ ...first, reused: true });
    expect(await readFile(path.join(second.worktreePath, 'work.txt'), 'utf8')).toBe('in progress\n');
    expect((await readFile(path.join(repo, '.git/info/exclude'), 'utf8')).match(/\/\.plato\//g)).toHaveLength(1);
  });

  it('reuses a branch left without its worktree (killed between branch and worktree creation)', async () => {
    await simpleGit(repo).branch(['plato/task-t2', 'HEAD']);
    const allocation = await provisionWorktree({ taskId: 't2', repoPath: repo });
    expect(allocation.reused).toBe(true);
    expect(existsSync(path.join(allocation.worktreePath, 'README.md'))).toBe(true);
  });

  it('replaces a half-made worktree directory that git does not know', async () => {
    await mkdir(path.join(repo, '.plato/worktrees/t3'), { recursive: true });
    await writeFile(path.join(repo, '.plato/worktrees/t3/partial'), '');
    const allocation = await provisionWorktree({ taskId: 't3', repoPath: repo });
    expect(existsSync(path.join(allocation.worktreePath, 'partial'))).toBe(false);
    expect(existsSync(path.join(allocation.worktreePath, 'README.md'))).toBe(true);
  });

  it('recovers a worktree whose directory was deleted', async () => {
    const first = await provisionWorktree({ taskId: 't4', repoPath: repo });
    await rm(first.worktreePath, { recursive: true, force: true });
    const second = await provisionWorktree({ taskId: 't4', repoPath: repo });
    expect(existsSync(path.join(second.worktreePath, 'README.md'))).toBe(true);
  });

  it('starts from a base ref', async () => {
    const git = simpleGit(repo);
    const base = (await git.revparse(['HEAD'])).trim();
    await writeFile(path.join(repo, 'later.txt'), 'later\n');
    await git.add('.');
    await git.commit('later');
    const allocation = await provisionWorktree({ taskId: 't5', repoPath: repo, baseRef: base });
    expect(allocation.baseSha).toBe(base);
    expect(existsSync(path.join(allocation.worktreePath, 'later.txt'))).toBe(false);
  });

  it('fails without retry on a path that is not a repository or an unknown base ref', async () => {
    await expect(provisionWorktree({ taskId: 't6', repoPath: tmpdir() })).rejects.toMatchObject({
      type: 'WORKTREE_PROVISIONING_FAILED',
      nonRetryable: true,
    });
    await expect(provisionWorktree({ taskId: 't6', repoPath: repo, baseRef: 'nope' })).rejects.toMatchObject({
      type: 'WORKTREE_PROVISIONING_FAILED',
      message: expect.stringContaining('Unknown base ref nope'),
    });
  });

  it('makes the worktree of a task whose branch ref was left locked (killed while git created the branch)', async () => {
    await mkdir(path.join(repo, '.git/refs/heads/plato'), { recursive: true });
    await writeFile(path.join(repo, '.git/refs/heads/plato/task-t7.lock'), '');
    const allocation = await provisionWorktree({ taskId: 't7', repoPath: repo });
    expect(allocation).toMatchObject({ branchName: 'plato/task-t7', reused: false });
    expect(existsSync(path.join(allocation.worktreePath, 'README.md'))).toBe(true);
    expect(existsSync(path.join(repo, '.git/refs/heads/plato/task-t7.lock'))).toBe(false);
  });

  it('fails without retry on a base that looks like a commit id but is not one', async () => {
    const unknown = 'f'.repeat(40);
    await expect(provisionWorktree({ taskId: 't8', repoPath: repo, baseRef: unknown })).rejects.toMatchObject({
      type: 'WORKTREE_PROVISIONING_FAILED',
      nonRetryable: true,
      message: expect.stringContaining(`Unknown base ref ${unknown}`),
    });
    expect(existsSync(path.join(repo, '.plato/worktrees/t8'))).toBe(false);
  });
});

describe('provisionWorktree for a dependent (prerequisites merged)', () => {
  /** Two prerequisites' commits, each adding its own file on top of the base. */
  async function prerequisites(): Promise<[string, string]> {
    const git = simpleGit(repo);
    const shas: string[] = [];
    for (const name of ['a', 'b']) {
      await git.checkout(['-q', '-b', `pre-${name}`, 'main']);
      await writeFile(path.join(repo, `${name}.txt`), `${name}\n`);
      await git.add(`${name}.txt`).commit(`prerequisite ${name}`);
      shas.push((await git.revparse(['HEAD'])).trim());
    }
    await git.checkout(['-q', 'main']);
    return [shas[0]!, shas[1]!];
  }

  it('starts from the merge of its prerequisites', async () => {
    const [a, b] = await prerequisites();
    const allocation = await provisionWorktree({ taskId: 'd1', repoPath: repo, baseRef: a, mergeRefs: [b] });
    expect(await readFile(path.join(allocation.worktreePath, 'a.txt'), 'utf8')).toBe('a\n');
    expect(await readFile(path.join(allocation.worktreePath, 'b.txt'), 'utf8')).toBe('b\n');
    expect((await simpleGit(repo).raw(['rev-list', '--parents', '-n', '1', allocation.baseSha])).trim().split(' ').slice(1)).toEqual([a, b]);
  });

  it('comes back to the same merge when the careful path takes over (killed after the branch was made)', async () => {
    const [a, b] = await prerequisites();
    // As the workflow passes them: the merge's date is the release's, the same for every attempt.
    const input = { taskId: 'd2', repoPath: repo, baseRef: a, mergeRefs: [b], mergeDate: '2026-11-29T12:00:00.000Z' };
    const first = await provisionWorktree(input);
    await rm(first.worktreePath, { recursive: true, force: true });
    await simpleGit(repo).raw(['worktree', 'prune']);
    // Commit dates have whole seconds: a merge dated "now" would differ from here on.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // The first attempt merges again and fails on the existing branch; the careful path merges once more.
    const second = await provisionWorktree(input);
    expect(second).toEqual({ ...first, reused: true });
    expect(await readFile(path.join(second.worktreePath, 'b.txt'), 'utf8')).toBe('b\n');
  });
});

describe('git commands provisionWorktree starts', () => {
  let log: GitCommandLog;

  beforeEach(async () => {
    log = await logGitCommands();
  });

  afterEach(async () => {
    await log.restore();
  });

  it('one for a graph child starting from a commit: git worktree add', async () => {
    const base = (await simpleGit(repo).revparse(['HEAD'])).trim();
    await log.clear();
    const allocation = await provisionWorktree({ taskId: 'c1', repoPath: repo, baseRef: base, mergeRefs: [] });
    expect(allocation).toEqual({ worktreePath: path.join(repo, '.plato/worktrees/c1'), branchName: 'plato/task-c1', baseSha: base, reused: false });
    expect(await log.commands()).toEqual([`worktree add -b plato/task-c1 ${allocation.worktreePath} ${base}`]);
    expect(await readFile(path.join(repo, '.git/info/exclude'), 'utf8')).toContain('/.plato/');
  });

  it('one for a task starting from HEAD, read from its files: git worktree add', async () => {
    const allocation = await provisionWorktree({ taskId: 'c2', repoPath: repo });
    expect(await log.commands()).toEqual([`worktree add -b plato/task-c2 ${allocation.worktreePath} ${allocation.baseSha}`]);
    expect(allocation.baseSha).toBe((await simpleGit(repo).revparse(['HEAD'])).trim());
  });

  it('the careful path takes over when the first attempt fails, and checks out the branch it finds', async () => {
    await simpleGit(repo).branch(['plato/task-c3', 'HEAD']);
    const head = (await simpleGit(repo).revparse(['HEAD'])).trim();
    await log.clear();
    const allocation = await provisionWorktree({ taskId: 'c3', repoPath: repo });
    expect(allocation).toEqual({ worktreePath: path.join(repo, '.plato/worktrees/c3'), branchName: 'plato/task-c3', baseSha: head, reused: true });
    const adds = (await log.commands()).filter((command) => command.startsWith('worktree add'));
    // The first attempt's `-b` fails on the existing branch; the careful path checks that branch out.
    expect(adds).toEqual([`worktree add -b plato/task-c3 ${allocation.worktreePath} ${head}`, `worktree add ${allocation.worktreePath} plato/task-c3`]);
  });
});
