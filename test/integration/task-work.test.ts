import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { githubRepoUrl } from '../../src/client/task-work';
import { exec, hang, say } from '../../src/scripted-model/scripted-model-server';
import { eventually, useRunnerHarness } from '../support/runner-harness';

// What happens to a task's work after its agent is done: diff, land, push, clean and gc, through
// the CLI, against real repositories.
const harness = useRunnerHarness();

async function completedTask(taskId: string, repo: string, command: string, extra: Record<string, unknown> = {}) {
  harness().model.script({ when: `${taskId}-marker`, steps: [exec(command), say('done')] });
  await harness().client.startTask({ taskId, repoPath: repo, prompt: `Work (${taskId}-marker)`, ...extra });
  return harness().client.waitForTask(taskId);
}

async function cli(args: string[]) {
  return harness().cli(args);
}

/** Everything git knows of a repository's state that a refused land must leave as it was. */
async function snapshot(repo: string): Promise<string> {
  const git = simpleGit(repo);
  return [await git.raw(['for-each-ref']), await git.raw(['status', '--porcelain']), await readFile(path.join(repo, 'README.md'), 'utf8')].join('\n--\n');
}

describe('diff', () => {
  it("prints what git diff base..commit prints, and JSON with each file's lines", async () => {
    const repo = await harness().makeRepo({ 'README.md': '# app\n', 'old.txt': 'old\n' });
    const task = await completedTask('diff-me', repo, 'echo new > new.txt && echo changed >> README.md && rm old.txt');
    const diff = await cli(['diff', 'diff-me']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe(await simpleGit(repo).raw(['diff', `${task.baseSha}..${task.commitSha}`]));
    const stat = await cli(['diff', 'diff-me', '--stat']);
    expect(stat.stdout).toBe(await simpleGit(repo).raw(['diff', '--stat', `${task.baseSha}..${task.commitSha}`]));
    const json = JSON.parse((await cli(['diff', 'diff-me', '--json'])).stdout) as { diff: { files: unknown[]; base: string; commit: string } };
    expect(json.diff).toMatchObject({ base: task.baseSha, commit: task.commitSha });
    expect(json.diff.files).toEqual([
      { path: 'README.md', added: 1, deleted: 0, binary: false, hunks: [{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 2 }] },
      { path: 'new.txt', added: 1, deleted: 0, binary: false, hunks: [{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1 }] },
      { path: 'old.txt', added: 0, deleted: 1, binary: false, hunks: [{ oldStart: 1, oldLines: 1, newStart: 0, newLines: 0 }] },
    ]);
  });

  it("of a graph is its merged branch's diff from the graph's base", async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'gd-a', steps: [exec('echo a > a.txt'), say('a')] });
    harness().model.script({ when: 'gd-b', steps: [exec('echo b > b.txt'), say('b')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'gd', repoPath: repo, prompt: 'Two files' },
      children: [
        { taskId: 'gd-a', prompt: 'A (gd-a)' },
        { taskId: 'gd-b', prompt: 'B (gd-b)' },
      ],
    });
    const graph = await harness().client.waitForTask('gd');
    const diff = await cli(['diff', 'gd', '--name-only']);
    expect(diff.stdout).toBe('a.txt\nb.txt\n');
    expect(diff.stdout).toBe(await simpleGit(repo).raw(['diff', '--name-only', `${graph.graph!.baseSha}..${graph.commitSha}`]));
  });
});

describe('land', () => {
  it('fast-forwards the checked-out branch, moving the checkout with it', async () => {
    const repo = await harness().makeRepo();
    const task = await completedTask('land-ff', repo, 'echo ff > ff.txt');
    const landed = await cli(['land', 'land-ff']);
    expect(landed.stdout).toBe(`Landed land-ff on main: fast-forwarded to ${task.commitSha!.slice(0, 12)}\n`);
    expect((await simpleGit(repo).revparse(['main'])).trim()).toBe(task.commitSha);
    expect(await readFile(path.join(repo, 'ff.txt'), 'utf8')).toBe('ff\n');
    expect((await simpleGit(repo).status()).isClean()).toBe(true);
  });

  it('makes a merge commit when the branch moved on, into a branch that is not checked out', async () => {
    const repo = await harness().makeRepo();
    const task = await completedTask('land-merge', repo, 'echo work > work.txt');
    const git = simpleGit(repo);
    await git.raw(['branch', 'release', 'main']);
    await writeFile(path.join(repo, 'user.txt'), 'user\n');
    await git.add('user.txt');
    await git.raw(['-c', 'user.name=u', '-c', 'user.email=u@x', 'commit', '-q', '-m', 'user work']);
    await git.raw(['branch', '-f', 'release', 'main']);
    await git.raw(['checkout', '-q', '--detach']);
    const landed = JSON.parse((await cli(['land', 'land-merge', '--into', 'release', '--json'])).stdout) as { landing: { kind: string; to: string } };
    expect(landed.landing.kind).toBe('merge');
    const parents = (await git.raw(['rev-list', '--parents', '-n', '1', 'release'])).trim().split(' ');
    expect(parents.slice(1)).toEqual([(await git.revparse(['main'])).trim(), task.commitSha]);
    expect((await git.raw(['ls-tree', '--name-only', 'release'])).split('\n')).toEqual(expect.arrayContaining(['user.txt', 'work.txt']));
  });

  it('refuses a dirty checkout and a conflict, changing nothing', async () => {
    const repo = await harness().makeRepo({ 'README.md': '# app\n' });
    await completedTask('land-conflict', repo, 'echo agent > README.md');
    const git = simpleGit(repo);

    await writeFile(path.join(repo, 'README.md'), '# app, being edited\n');
    let before = await snapshot(repo);
    const dirty = await cli(['land', 'land-conflict']);
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toBe(`TASK_LAND_REFUSED: ${repo} has uncommitted changes on main (README.md); commit or stash them, then land again\n`);
    expect(await snapshot(repo)).toBe(before);

    await git.raw(['-c', 'user.name=u', '-c', 'user.email=u@x', 'commit', '-q', '-am', 'user edit']);
    before = await snapshot(repo);
    const conflict = await cli(['land', 'land-conflict', '--json']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('plato/task-land-conflict conflicts with main in README.md; nothing was changed');
    expect(await snapshot(repo)).toBe(before);
  });

  it('approves a task awaiting approval once its work has landed', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'land-approve-marker', steps: [exec('echo ok > ok.txt'), say('done')] });
    await harness().client.startTask({ taskId: 'land-approve', repoPath: repo, prompt: 'Work (land-approve-marker)', requireApproval: true });
    await eventually(async () => (await harness().client.getTask('land-approve')).state === 'awaiting_approval', 60_000, 'awaiting approval');
    const landed = await cli(['land', 'land-approve', '--by', 'ana']);
    expect(landed.stdout).toMatch(/^Landed land-approve on main: fast-forwarded to [0-9a-f]{12}; the task is approved\n$/);
    const task = await harness().client.waitForTask('land-approve');
    expect(task).toMatchObject({ state: 'completed', approval: { decision: { kind: 'approved', by: 'ana', message: 'Landed into main (fast-forward)' } } });
  });
});

describe('push', () => {
  it('pushes the branch to a remote, under its own name or another', async () => {
    const repo = await harness().makeRepo();
    const bare = await mkdtemp(path.join(tmpdir(), 'codex-runner-remote-'));
    await simpleGit(bare).init(true);
    await simpleGit(repo).addRemote('origin', bare);
    const task = await completedTask('push-me', repo, 'echo pushed > pushed.txt');
    const pushed = await cli(['push', 'push-me']);
    expect(pushed.stdout).toBe(`Pushed ${task.commitSha!.slice(0, 12)} to origin as plato/task-push-me\n`);
    expect((await simpleGit(bare).revparse(['plato/task-push-me'])).trim()).toBe(task.commitSha);
    await cli(['push', 'push-me', '--branch', 'feature/pushed']);
    expect((await simpleGit(bare).revparse(['feature/pushed'])).trim()).toBe(task.commitSha);
    const missing = await cli(['push', 'push-me', '--remote', 'upstream']);
    expect(missing.stderr).toBe(`TASK_PUSH_FAILED: upstream is not a remote of ${repo}; add it with \`git remote add upstream <url>\`\n`);
  });

  it('knows a GitHub remote', () => {
    expect(githubRepoUrl('git@github.com:acme/app.git')).toBe('https://github.com/acme/app');
    expect(githubRepoUrl('https://github.com/acme/app')).toBe('https://github.com/acme/app');
    expect(githubRepoUrl('/srv/git/app.git')).toBeUndefined();
  });
});

describe('clean and gc', () => {
  it("removes ended tasks' worktrees and merged branches, and never loses work", async () => {
    const repo = await harness().makeRepo();
    const merged = await completedTask('gc-merged', repo, 'echo m > m.txt');
    await cli(['land', 'gc-merged']);
    const unmerged = await completedTask('gc-unmerged', repo, 'echo u > u.txt');
    harness().model.script({ when: 'gc-running-marker', steps: [hang()] });
    await harness().client.startTask({ taskId: 'gc-running', repoPath: repo, prompt: 'Keeps running (gc-running-marker)' });
    const running = await eventually(async () => (await harness().client.getTask('gc-running')).worktreePath, 30_000, 'the running worktree');
    const git = simpleGit(repo);

    const dryRun = await cli(['gc', '--repo-path', repo, '--branches', '--dry-run']);
    expect(dryRun.stdout).toContain(`Would remove gc-merged: worktree ${merged.worktreePath}`);
    expect(existsSync(merged.worktreePath!)).toBe(true);

    const gc = JSON.parse((await cli(['gc', '--repo-path', repo, '--branches', '--json'])).stdout) as {
      gc: { removed: { taskId: string }[]; kept: { taskId: string; reason: string }[] };
    };
    expect(gc.gc.removed.map((removal) => removal.taskId).sort()).toEqual(['gc-merged', 'gc-unmerged']);
    expect(gc.gc.kept).toEqual([
      { taskId: 'gc-unmerged', reason: 'branch plato/task-gc-unmerged has commits that are not in main; pass --force to delete it' },
    ]);
    expect(existsSync(merged.worktreePath!)).toBe(false);
    expect(existsSync(unmerged.worktreePath!)).toBe(false);
    expect((await git.branchLocal()).all).toEqual(expect.arrayContaining(['main', 'plato/task-gc-unmerged', 'plato/task-gc-running']));
    expect((await git.branchLocal()).all).not.toContain('plato/task-gc-merged');
    expect(existsSync(running)).toBe(true);

    const clean = await cli(['clean', 'gc-running']);
    expect(clean.stderr).toBe("TASK_WRONG_STATE: Task gc-running is running: only an ended task's worktree is removed\n");
    await harness().client.cancel('gc-running');
    await harness().client.waitForTask('gc-running');
    await writeFile(path.join(running, 'unsaved.txt'), 'not committed\n');
    const kept = await cli(['clean', 'gc-running']);
    expect(kept.stderr).toBe(`TASK_WRONG_STATE: ${running} holds changes that are in no commit; pass --force to remove them with the worktree\n`);
    expect((await cli(['clean', 'gc-running', '--force'])).stdout).toMatch(new RegExp(`^Removed worktree ${running} \\(\\d+\\.\\d MB\\)\\n$`));
    expect(existsSync(running)).toBe(false);
  });
});
