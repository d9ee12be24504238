/**
 * Crash recovery (issue 4, item 6): the worker process is killed with SIGKILL at varied moments
 * and a new worker finishes the work. Everything is real: the worker runs from dist/ as its own
 * process, codex is the real binary, the moments inside git are made deterministic with real git
 * hooks and a smudge filter in the test repositories.
 *
 * The kills, in order (the first one's tasks are checked last, so the other kills run while
 * they recover: the git steps are local activities, retried once their workflow task times out):
 * 1. A host crash (the worker and every process it started) while five tasks are each inside
 *    git: mid-checkout in `git worktree add`, between branch and worktree creation, while the
 *    branch ref is locked for its creation, mid-commit with the index and the branch locked, and
 *    in the post-commit hook.
 * 2. kill -9 of the worker while the model is thinking: the orphaned codex keeps running.
 * 3. kill -9 of the worker while a command the agent started is running.
 * 4. kill -9 of the worker in a graph, after one child completed and while the next one runs.
 * 5. kill -9 of the worker while a task waits for approval.
 * 6. kill -9 of the worker while a graph's merge is inside git (the merge is an ordinary activity).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { simpleGit } from 'simple-git';
import { findCodexProcessesIn } from '../../src/activities/orphaned-codex';
import type { TaskEvent } from '../../src/contracts/events';
import { descendantsOf } from '../support/process-tree';
import { eventually, RunnerHarness, type WorkerProcess } from '../support/runner-harness';
import { exec, hang, say, type ScriptHandle, type Step } from '../../src/scripted-model/scripted-model-server';
import { historyOf } from '../support/task-events';

const RECOVERY_TEXT = 'cut off because the runner restarted';
const { TimeoutType } = temporal.api.enums.v1;

let harness: RunnerHarness;
let worker: WorkerProcess;
const timings: string[] = [];

beforeAll(async () => {
  harness = await RunnerHarness.start();
  worker = await harness.startWorker();
});

afterAll(async () => {
  await harness?.stop();
  if (timings.length > 0) process.stderr.write(`crash recovery timings:\n  ${timings.join('\n  ')}\n`);
});

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const isAlive = (pid: number) => existsSync(`/proc/${pid}`);

/** Processes whose working directory is `dir` or inside it: anything still able to write there. */
async function processesWorkingIn(dir: string): Promise<number[]> {
  const root = await realpath(dir);
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = await readlink(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** kill -9 of the worker process alone (its codex and git children live on, re-parented). */
async function killWorker(): Promise<void> {
  await worker.stop('SIGKILL');
}

/** A host crash: the worker and every process it started die at once, git mid-operation included. */
async function crashHost(): Promise<void> {
  const pid = worker.child.pid!;
  process.kill(pid, 'SIGSTOP'); // nothing new is spawned while the tree is collected
  const tree = descendantsOf(pid);
  process.kill(pid, 'SIGKILL');
  for (const child of tree) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await worker.stop('SIGKILL');
}

async function replaceWorker(): Promise<void> {
  worker = await harness.startWorker();
}

// ---------------------------------------------------------------------------------------------
// Tasks and repositories
// ---------------------------------------------------------------------------------------------

const eventsOf = (taskId: string) => harness.client.listEvents(taskId);
const ofType = (events: TaskEvent[], type: string) => events.filter((event) => event.type === type);

/** A task's script: by default the agent writes `<marker>` into `file` and ends its turn. */
function writeScript(marker: string, file: string, steps?: Step[]): ScriptHandle {
  return harness.model.script({ when: marker, steps: steps ?? [exec(`echo ${marker} > ${file}`), say(`${marker} done`)] });
}

/** Number of commits on the task's branch on top of its base. */
async function commitsOnTop(repo: string, taskId: string, baseSha: string): Promise<number> {
  return Number((await simpleGit(repo).raw(['rev-list', '--count', `${baseSha}..plato/task-${taskId}`])).trim());
}

/**
 * A repository whose git hooks (reference-transaction, post-commit) and smudge filter stop git
 * at one chosen moment: a trigger file in `<repo>/.git/crash-test/` arms the moment once, the
 * hook touches `arrived` there and sleeps until the host crash kills it.
 */
async function makeCrashRepo(trigger: { name: string; content?: string }): Promise<{ repo: string; arrived: string }> {
  const repo = await harness.makeRepo({
    'README.md': '# crash test repo\n',
    '.gitattributes': 'slow.txt filter=slow\n',
    'slow.txt': 'checked out through the smudge filter\n',
  });
  const dir = path.join(repo, '.git', 'crash-test');
  await mkdir(dir, { recursive: true });
  const hooks: Record<string, string> = {
    'reference-transaction': `#!/bin/sh
refs=$(cat)
t="${dir}/reference-transaction-$1"
[ -f "$t" ] || exit 0
read -r kind ref < "$t"
printf '%s\\n' "$refs" | awk -v kind="$kind" -v ref="$ref" '
  $3 == ref && ((kind == "create" && $1 ~ /^0+$/) || (kind == "update" && $1 !~ /^0+$/ && $1 != $2)) { found = 1 }
  END { exit !found }' || exit 0
mv "$t" "$t.fired" 2>/dev/null || exit 0
touch "${dir}/arrived"
exec sleep 600
`,
    'post-commit': `#!/bin/sh
mv "${dir}/post-commit" "${dir}/post-commit.fired" 2>/dev/null || exit 0
touch "${dir}/arrived"
exec sleep 600
`,
  };
  for (const [name, body] of Object.entries(hooks)) {
    await writeFile(path.join(repo, '.git', 'hooks', name), body);
    await chmod(path.join(repo, '.git', 'hooks', name), 0o755);
  }
  await writeFile(
    path.join(dir, 'smudge.sh'),
    `#!/bin/sh\nif mv "${dir}/smudge" "${dir}/smudge.fired" 2>/dev/null; then touch "${dir}/arrived"; sleep 600; fi\nexec cat\n`,
  );
  // simple-git refuses to set a filter command unless told to: rightly for untrusted input, and this one is ours.
  await simpleGit(repo, { unsafe: { allowUnsafeFilter: true } }).addConfig('filter.slow.smudge', `sh ${path.join(dir, 'smudge.sh')}`);
  await writeFile(path.join(dir, trigger.name), trigger.content ?? '');
  return { repo, arrived: path.join(dir, 'arrived') };
}

// ---------------------------------------------------------------------------------------------
// The kills
// ---------------------------------------------------------------------------------------------

describe('kill -9 at varied moments', () => {
  /** Kill 1: one host crash while five tasks are each stopped inside git at a different moment. */
  const gitMoments = [
    { taskId: 'kill-mid-checkout', what: 'mid-checkout inside git worktree add', trigger: { name: 'smudge' } },
    {
      taskId: 'kill-branch-made',
      what: 'between branch and worktree creation',
      trigger: { name: 'reference-transaction-committed', content: 'create refs/heads/plato/task-kill-branch-made\n' },
    },
    {
      taskId: 'kill-branch-locked',
      what: 'while the new branch ref is locked',
      trigger: { name: 'reference-transaction-prepared', content: 'create refs/heads/plato/task-kill-branch-locked\n' },
    },
    {
      taskId: 'kill-mid-commit',
      what: 'mid-commit, index and branch locked',
      trigger: { name: 'reference-transaction-prepared', content: 'update refs/heads/plato/task-kill-mid-commit\n' },
    },
    { taskId: 'kill-post-commit', what: 'in the post-commit hook', trigger: { name: 'post-commit' } },
  ];
  const repos = new Map<string, string>();
  const scripts = new Map<string, ScriptHandle>();
  let firstKillAt = 0;

  beforeAll(async () => {
    const started = Date.now();
    const arrivals: string[] = [];
    for (const moment of gitMoments) {
      const { repo, arrived } = await makeCrashRepo(moment.trigger);
      repos.set(moment.taskId, repo);
      arrivals.push(arrived);
      scripts.set(moment.taskId, writeScript(`${moment.taskId}-marker`, `${moment.taskId}.txt`));
      await harness.client.startTask({ taskId: moment.taskId, repoPath: repo, prompt: `Write a file (${moment.taskId}-marker)` });
    }
    await eventually(() => Promise.resolve(arrivals.every((file) => existsSync(file))), 60_000, 'every task to stop inside git');
    await crashHost();
    firstKillAt = Date.now();
    timings.push(`kill 1 (host crash inside git, 5 tasks) ${((firstKillAt - started) / 1000).toFixed(1)} s after the tasks started`);
    await replaceWorker();
  }, 120_000);

  describe('kill 2: while the model is thinking (the orphaned codex keeps running)', () => {
    const taskId = 'kill-mid-turn';
    let repo: string;
    let script: ScriptHandle;
    let threadId: string;
    let orphans: number[];
    let killedAt: number;

    beforeAll(async () => {
      repo = await harness.makeRepo();
      script = writeScript('kill-mid-turn-marker', '', [hang(), exec('echo recovered > recovered.txt'), say('recovered and done')]);
      await harness.client.startTask({ taskId, repoPath: repo, prompt: 'Write recovered.txt (kill-mid-turn-marker)' });
      await script.waitForRequests(1);
      threadId = await eventually(async () => (await harness.client.getTask(taskId)).threadId, 30_000, 'the thread id');
      const worktree = path.join(repo, '.plato', 'worktrees', taskId);
      orphans = await findCodexProcessesIn(worktree);
      await killWorker();
      killedAt = Date.now();
      await replaceWorker();
    });

    it('a codex process survives the worker and keeps the turn open', () => {
      expect(orphans.length).toBeGreaterThan(0);
      expect(orphans.some(isAlive)).toBe(true);
    });

    it('completes on the same thread and worktree, with the file committed', async () => {
      const task = await harness.client.waitForTask(taskId);
      timings.push(`kill 2 (mid-turn): completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      expect(task).toMatchObject({
        state: 'completed',
        threadId,
        worktreePath: path.join(repo, '.plato', 'worktrees', taskId),
        finalMessage: 'recovered and done',
      });
      expect(await simpleGit(repo).show([`plato/task-${taskId}:recovered.txt`])).toBe('recovered\n');
      const events = await eventsOf(taskId);
      expect(ofType(events, 'session.started').map((event) => event.threadId)).toEqual([threadId]);
    });

    it('records session.recovered with the attempt number and the stopped orphan', async () => {
      const recovered = ofType(await eventsOf(taskId), 'session.recovered');
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toMatchObject({ attempt: 2, threadId });
      expect(recovered[0]!.message).toContain('stopped orphaned codex process');
    });

    it("resumes the thread: the model's next request carries the earlier conversation", () => {
      const [, resumed] = script.requests;
      expect(resumed?.userText).toContain('Write recovered.txt (kill-mid-turn-marker)');
      expect(resumed?.userText).toContain(RECOVERY_TEXT);
    });

    it('leaves no codex process behind: the orphan is gone', async () => {
      expect(orphans.filter(isAlive)).toEqual([]);
      const worktree = path.join(repo, '.plato', 'worktrees', taskId);
      expect(await findCodexProcessesIn(worktree)).toEqual([]);
      expect(await processesWorkingIn(worktree)).toEqual([]);
    });
  });

  describe('kill 3: while a command the agent started is running', () => {
    const taskId = 'kill-mid-command';
    let repo: string;
    let worktree: string;
    let script: ScriptHandle;
    let killedAt: number;

    beforeAll(async () => {
      repo = await harness.makeRepo();
      worktree = path.join(repo, '.plato', 'worktrees', taskId);
      // The marker comes a second into the command. A worker killed in the command's first
      // moments, before codex has reported it (item.started) on its stdout, can take codex and the
      // command down with it (seen: codex gone within 0.5 s of the kill), and there is then no
      // orphan for the retry to stop; this kill is meant for codex waiting on a running command.
      script = writeScript('kill-mid-command-marker', '', [
        exec('sleep 1 && echo started > started.txt && sleep 25 && echo late > late.txt', { yieldTimeMs: 30_000 }),
        say('command phase done'),
      ]);
      await harness.client.startTask({ taskId, repoPath: repo, prompt: 'Run the long command (kill-mid-command-marker)' });
      await eventually(() => Promise.resolve(existsSync(path.join(worktree, 'started.txt'))), 30_000, 'the command to start');
      await killWorker();
      killedAt = Date.now();
      await replaceWorker();
    });

    it('completes on the same thread; what the command wrote before the kill is committed', async () => {
      const task = await harness.client.waitForTask(taskId);
      timings.push(`kill 3 (mid-command): completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      expect(task.state).toBe('completed');
      const events = await eventsOf(taskId);
      expect(ofType(events, 'session.started').map((event) => event.threadId)).toEqual([task.threadId]);
      expect(ofType(events, 'session.recovered')).toEqual([
        expect.objectContaining({ attempt: 2, threadId: task.threadId, message: expect.stringContaining('stopped orphaned codex process') }),
      ]);
      expect(await simpleGit(repo).show([`plato/task-${taskId}:started.txt`])).toBe('started\n');
      expect(script.requests.at(-1)?.userText).toContain(RECOVERY_TEXT);
    });

    it('leaves nothing running in the worktree: the killed command does not write afterwards', async () => {
      expect(await findCodexProcessesIn(worktree)).toEqual([]);
      expect(await processesWorkingIn(worktree)).toEqual([]);
      expect(existsSync(path.join(worktree, 'late.txt'))).toBe(false);
    });
  });

  describe('kill 4: in a graph, after one child completed and while the next runs', () => {
    const parentId = 'kill-graph';
    let repo: string;
    let first: ScriptHandle;
    let second: ScriptHandle;
    let side: ScriptHandle;
    let firstRequests: number;
    let killedAt: number;

    beforeAll(async () => {
      repo = await harness.makeRepo();
      first = writeScript('kill-graph-a-marker', 'a.txt');
      side = writeScript('kill-graph-d-marker', 'd.txt');
      second = writeScript('kill-graph-b-marker', '', [hang(), exec('cat a.txt > b.txt && echo b >> b.txt'), say('b done')]);
      harness.model.script({ when: 'kill-graph-c-marker', steps: [exec('cat b.txt > c.txt && echo c >> c.txt'), say('c done')] });
      await harness.client.createTaskGraph({
        parent: { taskId: parentId, repoPath: repo, prompt: 'A chain with a crash in the middle' },
        children: [
          { taskId: 'kg-a', prompt: 'Write a.txt (kill-graph-a-marker)' },
          { taskId: 'kg-b', prompt: 'Extend into b.txt (kill-graph-b-marker)', dependencyTaskIds: ['kg-a'] },
          { taskId: 'kg-c', prompt: 'Extend into c.txt (kill-graph-c-marker)', dependencyTaskIds: ['kg-b'] },
          { taskId: 'kg-d', prompt: 'Write d.txt (kill-graph-d-marker)' },
        ],
      });
      await second.waitForRequests(1, 60_000);
      await eventually(async () => (await harness.client.getTask('kg-d')).state === 'completed', 30_000, 'kg-d to complete');
      firstRequests = first.requests.length;
      await killWorker();
      killedAt = Date.now();
      await replaceWorker();
    });

    it('completes the graph, every child completed', async () => {
      const parent = await harness.client.waitForTask(parentId);
      timings.push(`kill 4 (graph): completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      expect(parent.state).toBe('completed');
      for (const id of ['kg-a', 'kg-b', 'kg-c', 'kg-d']) expect((await harness.client.getTask(id)).state).toBe('completed');
    });

    it('redoes nothing that had finished: the completed children get no second request', async () => {
      expect(firstRequests).toBe(2);
      expect(first.requests).toHaveLength(firstRequests);
      expect(side.requests).toHaveLength(2);
      for (const id of ['kg-a', 'kg-d', 'kg-c']) expect(ofType(await eventsOf(id), 'session.recovered')).toEqual([]);
      expect(ofType(await eventsOf('kg-b'), 'session.recovered')).toEqual([expect.objectContaining({ attempt: 2 })]);
    });

    it('has every commit on its branch and in plato/graph-<id>, once', async () => {
      const git = simpleGit(repo);
      const graphBranch = `plato/graph-${parentId}`;
      for (const id of ['kg-a', 'kg-b', 'kg-c', 'kg-d']) {
        const task = await harness.client.getTask(id);
        expect(task.commitSha).toBe((await git.revparse([`plato/task-${id}`])).trim());
        await git.raw(['merge-base', '--is-ancestor', task.commitSha!, graphBranch]);
        expect(await commitsOnTop(repo, id, task.baseSha!)).toBe(1);
      }
      expect(await git.show([`${graphBranch}:c.txt`])).toBe('kill-graph-a-marker\nb\nc\n');
      expect(await git.show([`${graphBranch}:d.txt`])).toBe('kill-graph-d-marker\n');
    });
  });

  describe('kill 5: while a task waits for approval', () => {
    const taskId = 'kill-awaiting-approval';
    let script: ScriptHandle;

    it('keeps the approval gate, the commit and the turn: approving completes it without another turn', async () => {
      const repo = await harness.makeRepo();
      script = writeScript('kill-approval-marker', 'approved.txt');
      await harness.client.startTask({ taskId, repoPath: repo, prompt: 'Write approved.txt (kill-approval-marker)', requireApproval: true });
      await eventually(async () => (await harness.client.getTask(taskId)).state === 'awaiting_approval', 60_000, 'awaiting_approval');
      const before = await harness.client.getTask(taskId);
      await killWorker();
      await replaceWorker();
      const after = await harness.client.approve(taskId, { by: 'crash-test' });
      expect(after).toMatchObject({ state: 'completed', commitSha: before.commitSha, threadId: before.threadId });
      expect(script.requests).toHaveLength(2);
      expect(ofType(await eventsOf(taskId), 'session.recovered')).toEqual([]);
      expect(await simpleGit(repo).show([`plato/task-${taskId}:approved.txt`])).toBe('kill-approval-marker\n');
    });
  });

  describe('kill 6: while the graph merges its branch, inside git', () => {
    const parentId = 'kill-merge';
    let repo: string;

    it("retries the merge once its heartbeat stops, not after the 5-minute start-to-close; the branch holds the child's work", async () => {
      const made = await makeCrashRepo({ name: 'reference-transaction-prepared', content: `create refs/heads/plato/graph-${parentId}\n` });
      repo = made.repo;
      writeScript('kill-merge-marker', 'merged.txt');
      await harness.client.createTaskGraph({
        parent: { taskId: parentId, repoPath: repo, prompt: 'One child, a crash while its work is merged' },
        children: [{ taskId: 'km-a', prompt: 'Write merged.txt (kill-merge-marker)' }],
      });
      await eventually(() => Promise.resolve(existsSync(made.arrived)), 60_000, 'the merge to stop inside git update-ref');
      await killWorker();
      // The orphaned `git update-ref` holds the ref's lock while its hook sleeps. Ending the hook
      // makes git abort the transaction and let go of it, as a git that finished on its own would.
      for (const pid of await processesWorkingIn(repo)) {
        if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).startsWith('sleep\0')) process.kill(pid, 'SIGKILL');
      }
      const killedAt = Date.now();
      await replaceWorker();

      const parent = await harness.client.waitForTask(parentId);
      timings.push(`kill 6 (graph merge): completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      expect(parent.state).toBe('completed');
      const history = await historyOf(harness.client, parentId);
      const merges = new Set(
        (history.events ?? [])
          .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'mergeGraphBranch')
          .map((event) => String(event.eventId)),
      );
      const started = (history.events ?? []).flatMap((event) => {
        const attributes = event.activityTaskStartedEventAttributes;
        return attributes && merges.has(String(attributes.scheduledEventId)) ? [attributes] : [];
      });
      expect(started).toEqual([
        expect.objectContaining({
          attempt: 2,
          lastFailure: expect.objectContaining({ timeoutFailureInfo: expect.objectContaining({ timeoutType: TimeoutType.TIMEOUT_TYPE_HEARTBEAT }) }),
        }),
      ]);
      expect(await simpleGit(repo).show([`plato/graph-${parentId}:merged.txt`])).toBe('kill-merge-marker\n');
    }, 120_000);
  });

  describe('kill 1: the host crash inside git', () => {
    it.each(gitMoments.map((moment) => [moment.what, moment.taskId] as const))(
      '%s: completes with its work committed once',
      async (_what, taskId) => {
        const task = await harness.client.waitForTask(taskId);
        if (taskId === gitMoments[0]!.taskId)
          timings.push(`kill 1 (inside git): first task completed ${((Date.now() - firstKillAt) / 1000).toFixed(1)} s after the kill`);
        expect(task.failure).toBeUndefined();
        expect(task.state).toBe('completed');
        const repo = repos.get(taskId)!;
        const git = simpleGit(repo);
        expect(task.filesChanged).toEqual([`${taskId}.txt`]);
        expect(await git.show([`plato/task-${taskId}:${taskId}.txt`])).toBe(`${taskId}-marker\n`);
        expect(await git.show([`plato/task-${taskId}:slow.txt`])).toBe('checked out through the smudge filter\n');
        expect(await readFile(path.join(task.worktreePath!, 'slow.txt'), 'utf8')).toBe('checked out through the smudge filter\n');
        expect(await commitsOnTop(repo, taskId, task.baseSha!)).toBe(1);
        expect(task.commitSha).toBe((await git.revparse([`plato/task-${taskId}`])).trim());
        expect((await git.status()).isClean()).toBe(true);
        expect((await simpleGit(task.worktreePath).status()).isClean()).toBe(true);
        // One turn, never redone: the exec request and the one that ended the turn.
        expect(scripts.get(taskId)!.requests).toHaveLength(2);
      },
      240_000,
    );
  });
});
