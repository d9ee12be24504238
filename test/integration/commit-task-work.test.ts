import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { commitTaskWork } from '../../src/activities/commit-task-work';
import { provisionWorktree, type WorktreeAllocation } from '../../src/activities/provision-worktree';
import { runGit } from '../../src/host/git';
import { logGitCommands } from '../support/git-command-log';
import { makeTestRepo } from '../support/test-repo';

let repo: string;
let worktree: WorktreeAllocation;

beforeEach(async () => {
  repo = await makeTestRepo('commit-task-work-', { 'README.md': 'one\ntwo\nthree\n', 'gone.txt': 'bye\n', 'moved.txt': 'a\nb\n' });
  worktree = await provisionWorktree({ taskId: 't1', repoPath: repo });
});

afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

const commit = () => commitTaskWork({ taskId: 't1', worktreePath: worktree.worktreePath, baseSha: worktree.baseSha, message: 'task t1' });
const inWorktree = (file: string) => path.join(worktree.worktreePath, file);

/** What git itself lists as changed between two commits, NUL-separated, so unusual names stay as they are. */
async function gitNamesChanged(from: string, to: string): Promise<string[]> {
  const run = await runGit(worktree.worktreePath, ['diff', '--name-only', '-z', '--no-renames', from, to]);
  return run.stdout.split('\0').filter((name) => name !== '');
}

describe('commitTaskWork', () => {
  it('reports added, modified, deleted, renamed, binary and oddly named files, with a line count per file', async () => {
    await writeFile(inWorktree('README.md'), 'one\n2\nthree\nfour\n');
    await writeFile(inWorktree('new.txt'), 'x\ny\n');
    await unlink(inWorktree('gone.txt'));
    await simpleGit(worktree.worktreePath).mv('moved.txt', 'renamed.txt');
    await writeFile(inWorktree('blob.bin'), Buffer.from([0, 1, 2, 0, 255]));
    await mkdir(inWorktree('dir with space'));
    await writeFile(inWorktree('dir with space/tab\tand "quote".txt'), 'odd\n');
    await writeFile(inWorktree('ünïcödé.txt'), 'utf8\n');

    const result = await commit();

    expect(result.commitSha).toBe((await simpleGit(repo).revparse(['plato/task-t1'])).trim());
    expect(result.filesChanged).toEqual(await gitNamesChanged(worktree.baseSha, result.commitSha));
    expect(result.filesChanged).toEqual([
      'README.md',
      'blob.bin',
      'dir with space/tab\tand "quote".txt',
      'gone.txt',
      'moved.txt',
      'new.txt',
      'renamed.txt',
      'ünïcödé.txt',
    ]);
    expect(result.diffStat).toBe(
      [
        'README.md | +2 -1',
        'blob.bin | bin',
        'dir with space/tab\tand "quote".txt | +1 -0',
        'gone.txt | +0 -1',
        'moved.txt | +0 -2',
        'new.txt | +2 -0',
        'renamed.txt | +2 -0',
        'ünïcödé.txt | +1 -0',
        '8 files changed, 8 insertions(+), 4 deletions(-)',
      ].join('\n'),
    );
  });

  it('words the summary line as git does: one file, and only the side that changed', async () => {
    await writeFile(inWorktree('new.txt'), 'x\n');
    expect((await commit()).diffStat).toBe('new.txt | +1 -0\n1 file changed, 1 insertion(+)');
  });

  it('reports a binary-only change with both counts at zero, as git does', async () => {
    await writeFile(inWorktree('blob.bin'), Buffer.from([0, 1]));
    expect((await commit()).diffStat).toBe('blob.bin | bin\n1 file changed, 0 insertions(+), 0 deletions(-)');
  });

  it('makes no commit when the agent changed nothing: the base, no files, an empty diffStat', async () => {
    expect(await commit()).toEqual({ commitSha: worktree.baseSha, filesChanged: [], diffStat: '' });
  });

  it('reports the same commit and changes again on a retry after the commit', async () => {
    await writeFile(inWorktree('new.txt'), 'x\n');
    const first = await commit();
    expect(await commit()).toEqual(first);
    expect((await simpleGit(repo).raw(['rev-list', '--count', `${worktree.baseSha}..plato/task-t1`])).trim()).toBe('1');
  });

  it('commits past the locks a commit killed half-way leaves (index, HEAD, branch)', async () => {
    const gitDir = path.join(repo, '.git', 'worktrees', 't1');
    await writeFile(path.join(gitDir, 'index.lock'), '');
    await writeFile(path.join(gitDir, 'HEAD.lock'), '');
    await writeFile(path.join(repo, '.git', 'refs', 'heads', 'plato', 'task-t1.lock'), '');
    await writeFile(inWorktree('new.txt'), 'x\n');
    expect((await commit()).filesChanged).toEqual(['new.txt']);
  });

  it('fails without retry when the worktree is gone', async () => {
    await rm(worktree.worktreePath, { recursive: true, force: true });
    await expect(commit()).rejects.toMatchObject({ type: 'TASK_COMMIT_FAILED', nonRetryable: true });
  });
});

describe('git commands commitTaskWork starts', () => {
  /** Each command's subcommand and first argument. */
  const subcommands = async (log: Awaited<ReturnType<typeof logGitCommands>>) =>
    (await log.commands()).map((command) => command.split(' ').slice(0, 2).join(' '));

  it('three with something to commit: add, commit, diff --numstat (the new HEAD is read from its files)', async () => {
    await writeFile(inWorktree('new.txt'), 'x\n');
    const log = await logGitCommands();
    try {
      await commit();
      expect(await subcommands(log)).toEqual(['add --all', 'commit --no-verify', 'diff --numstat']);
    } finally {
      await log.restore();
    }
  });

  it('three with nothing to commit: the refused commit is checked against the index, and no diff is asked for', async () => {
    const log = await logGitCommands();
    try {
      await commit();
      expect(await subcommands(log)).toEqual(['add --all', 'commit --no-verify', 'diff --cached']);
    } finally {
      await log.restore();
    }
  });
});
