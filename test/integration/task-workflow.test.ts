import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getPriority, hostname } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { eventsFromHistory } from '../../src/client/history-events';
import type { TaskEvent } from '../../src/contracts/events';
import { hostNameFrom, taskWorkflowId } from '../../src/contracts/ids';
import { eventsQuery } from '../../src/workflows/messages';
import { replayAll } from '../support/replay';
import { historyOf, localActivityTypes, signalledSessionEvents } from '../support/task-events';
import { eventually, useRunnerHarness } from '../support/runner-harness';
import { exec, httpError, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();

describe('a task whose agent writes a file', () => {
  const taskId = 'hello-task';
  let repo: string;

  beforeAll(async () => {
    repo = await harness().makeRepo();
    harness().model.script({ when: 'marker-hello', steps: [exec('echo hello > hello.txt'), say('I wrote hello.txt')] });
    await harness().client.startTask({ taskId, repoPath: repo, prompt: 'Write hello.txt (marker-hello)' });
  });

  it('ends completed with the file committed on its own branch', async () => {
    const task = await harness().client.waitForTask(taskId);
    expect(task.state).toBe('completed');
    expect(task.branchName).toBe(`plato/task-${taskId}`);
    expect(task.worktreePath).toBe(path.join(repo, '.plato', 'worktrees', taskId));
    expect(task.finalMessage).toBe('I wrote hello.txt');
    expect(task.filesChanged).toEqual(['hello.txt']);

    const git = simpleGit(repo);
    const branchHead = (await git.revparse([`plato/task-${taskId}`])).trim();
    expect(task.commitSha).toBe(branchHead);
    expect(await git.show([`${branchHead}:hello.txt`])).toBe('hello\n');
    expect(await readFile(path.join(task.worktreePath!, 'hello.txt'), 'utf8')).toBe('hello\n');
  });

  it('leaves the main checkout clean', async () => {
    expect((await simpleGit(repo).status()).isClean()).toBe(true);
    expect(existsSync(path.join(repo, 'hello.txt'))).toBe(false);
  });

  it('records the lifecycle and the session in order, and the history alone rebuilds them', async () => {
    const handle = harness().client.temporal.workflow.getHandle(taskWorkflowId(taskId));
    const queried = await handle.query(eventsQuery);
    const rebuilt = eventsFromHistory(await handle.fetchHistory());
    expect(rebuilt).toEqual(queried);
    expect(queried.map((event) => event.seq)).toEqual(queried.map((_, i) => i + 1));
    for (const event of queried) expect(Number.isNaN(Date.parse(event.at))).toBe(false);

    const types = queried.map((event) => event.type);
    expect(types.filter((type) => !type.startsWith('session.'))).toEqual([
      'task.queued',
      'task.placed',
      'runtime.checked',
      'worktree.provisioned',
      'task.started',
      'task.completed',
    ]);
    expect(types.indexOf('session.started')).toBeGreaterThan(types.indexOf('task.started'));
    expect(types.indexOf('session.exited')).toBeLessThan(types.indexOf('task.completed'));

    const command = queried.find((event) => event.item?.kind === 'command');
    expect(command?.item).toMatchObject({ kind: 'command', command: expect.stringContaining('echo hello > hello.txt'), exitCode: 0 });
    const usage = queried.find((event) => event.type === 'session.usage');
    expect(usage?.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    const completed = queried.find((event) => event.type === 'task.completed') as TaskEvent;
    expect(completed.commitSha).toBe((await harness().client.getTask(taskId)).commitSha);
    await harness().recordHistory('task-completed', taskId);
  });

  it("is placed on the worker's host and runs every step there, on the host's own queues, and takes the turn's last events from its result", async () => {
    const history = await historyOf(harness().client, taskId);
    const { host } = await harness().client.getTask(taskId);
    expect(host).toBe(hostNameFrom(hostname()));
    const scheduled = (history.events ?? []).flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      return attributes ? [`${attributes.activityType?.name} on ${attributes.taskQueue?.name}`] : [];
    });
    expect(scheduled).toEqual([
      'placeTask on codex-runner-placement',
      `checkCodexRuntime on codex-runner@${host}`,
      `provisionWorktree on codex-runner@${host}`,
      `readRepoConfig on codex-runner@${host}`,
      `runCodexTurn on codex-runner-sessions@${host}`,
      `commitTaskWork on codex-runner@${host}`,
    ]);
    expect(localActivityTypes(history)).toEqual([]);

    // The turn's last events (session.exited among them) come back in its result, not by signal.
    const signalled = signalledSessionEvents(history);
    expect(signalled.map((event) => event.type)).not.toContain('session.exited');
    expect(eventsFromHistory(history).map((event) => event.type)).toContain('session.exited');
  });

  it('is found by its state, repository, priority and host through search attributes', async () => {
    const listed = await eventually(async () => {
      const tasks = await harness().client.listTasks({ state: 'completed', repoPath: repo });
      return tasks.find((task) => task.taskId === taskId);
    });
    const host = hostNameFrom(hostname());
    expect(listed).toMatchObject({ state: 'completed', repoPath: repo, priority: 0, host, workflowStatus: 'COMPLETED' });
    const cli = await harness().server.cli(['workflow', 'list', '--query', 'CodexTaskState="completed"']);
    expect(cli.stdout).toContain(taskWorkflowId(taskId));
    expect((await harness().client.listTasks({ host })).map((task) => task.taskId)).toContain(taskId);
    expect(await harness().client.listTasks({ host: 'no-such-host' })).toEqual([]);
  });

  it('shows a readable summary and current details in the Web UI', async () => {
    const handle = harness().client.temporal.workflow.getHandle(taskWorkflowId(taskId));
    const summary = await (await handle.describe()).staticSummary();
    expect(summary).toContain(taskId);
    expect(summary).toContain('Write hello.txt');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**State:** completed');
    expect(metadata.currentDetails).toContain('**Commit:**');
  });

  it('prints its record and events on the CLI', async () => {
    const status = await harness().cli(['status', taskId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/state\s+completed/);
    const events = await harness().cli(['events', taskId, '--json']);
    expect(events.code).toBe(0);
    const parsed = JSON.parse(events.stdout) as { events: TaskEvent[] };
    expect(parsed.events.at(-1)?.type).toBe('task.completed');
  });
});

describe("a task's Codex session", () => {
  it("runs 10 steps below the worker's CPU priority by default, and so does every command codex runs", async () => {
    const repo = await harness().makeRepo();
    // `nice` without arguments prints the niceness it runs at: the shell's, which codex started.
    harness().model.script({ when: 'marker-niceness', steps: [exec('nice'), say('done')] });
    await harness().client.startTask({ taskId: 'niceness-task', repoPath: repo, prompt: 'Print your niceness (marker-niceness)' });
    expect((await harness().client.waitForTask('niceness-task')).state).toBe('completed');
    const events = await harness().client.listEvents('niceness-task');
    const command = events.find((event) => event.item?.kind === 'command')?.item;
    // The worker inherits this process's niceness.
    expect(command).toMatchObject({ kind: 'command', exitCode: 0, output: `${Math.min(19, getPriority() + 10)}\n` });
  });
});

describe('a task whose model fails', () => {
  const taskId = 'model-failure';
  let repo: string;

  beforeAll(async () => {
    repo = await harness().makeRepo();
    harness().model.script({ when: 'marker-broken-model', steps: [httpError(400, 'the scripted model refuses')] });
    await harness().client.startTask({ taskId, repoPath: repo, prompt: 'Do something (marker-broken-model)' });
  });

  it('ends failed, with a code and a message, and Temporal reports the workflow Failed', async () => {
    const task = await harness().client.waitForTask(taskId);
    expect(task.state).toBe('failed');
    expect(task.failure?.code).toBe('CODEX_TURN_FAILED');
    expect(task.failure?.message).toContain('the scripted model refuses');
    const description = await harness().client.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
    expect(description.status.name).toBe('FAILED');
    const events = await harness().client.listEvents(taskId);
    expect(events.at(-1)).toMatchObject({ type: 'task.failed', errorCode: 'CODEX_TURN_FAILED' });
    await harness().recordHistory('task-failed', taskId);
  });

  it('keeps the worktree', async () => {
    const task = await harness().client.getTask(taskId);
    expect(existsSync(task.worktreePath!)).toBe(true);
  });
});

describe('rejected before anything is created', () => {
  async function expectNoWorkflow(taskId: string) {
    await expect(harness().client.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe()).rejects.toThrow(/not found/i);
  }

  it('refuses a repository path that is not a git repository', async () => {
    const result = await harness().cli(['start', '--prompt', 'x', '--task-id', 'not-a-repo', '--repo-path', harness().codexEnv.root]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a git repository');
    await expectNoWorkflow('not-a-repo');
  });

  it.each(['../x', 'a b', 'a/b', '.hidden', 'x'.repeat(65)])('refuses the task id %j', async (taskId) => {
    const repo = await harness().makeRepo();
    const result = await harness().cli(['start', '--prompt', 'x', '--task-id', taskId, '--repo-path', repo]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/taskId: task id must start with a letter or digit/);
    expect((await simpleGit(repo).branchLocal()).all).toEqual(['main']);
  });

  it('refuses an empty prompt', async () => {
    const repo = await harness().makeRepo();
    const result = await harness().cli(['start', '--prompt', '   ', '--task-id', 'empty-prompt', '--repo-path', repo]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('prompt: prompt must not be empty');
    await expectNoWorkflow('empty-prompt');
  });

  it('refuses an unknown base ref', async () => {
    const repo = await harness().makeRepo();
    const result = await harness().cli(['start', '--prompt', 'x', '--task-id', 'bad-base', '--repo-path', repo, '--base-ref', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('baseRef: nope is not a branch, tag or commit');
    await expectNoWorkflow('bad-base');
  });

  it('refuses an id that already exists', async () => {
    const repo = await harness().makeRepo();
    await harness().client.waitForTask('hello-task');
    const result = await harness().cli(['start', '--prompt', 'again', '--task-id', 'hello-task', '--repo-path', repo]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('TASK_ALREADY_EXISTS: Task hello-task already exists');
    expect((await simpleGit(repo).branchLocal()).all).toEqual(['main']);
  });
});

describe('doctor', () => {
  it('explains an unreachable Temporal server by naming ./temporal-dev.sh start', async () => {
    const result = await harness().cli(['doctor'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Temporal is not reachable at 127.0.0.1:1');
    expect(result.stdout).toContain('./temporal-dev.sh start');
  });

  it('passes on a ready host', async () => {
    const result = await harness().cli(['doctor', '--config-path', harness().configPath, '--json']);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.checks).toEqual([
      expect.objectContaining({ name: 'temporal', ok: true }),
      expect.objectContaining({ name: 'search attributes', ok: true }),
      expect.objectContaining({ name: 'worker', ok: true }),
      expect.objectContaining({ name: 'codex', ok: true }),
      expect.objectContaining({ name: 'credentials', ok: true }),
    ]);
    expect(result.code).toBe(0);
  });
});

describe('the plain temporal CLI (the README examples)', () => {
  it('starts a task, lists it by state and queries its record and events', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'marker-plain-cli', steps: [exec('echo cli > cli.txt'), say('done')] });
    const input = JSON.stringify({ taskId: 'plain-cli', repoPath: repo, prompt: 'Write cli.txt (marker-plain-cli)' });
    const started = await harness().temporalStart('taskWorkflow', 'plain-cli', input);
    expect(started.code).toBe(0);
    expect((await harness().client.waitForTask('plain-cli')).state).toBe('completed');

    const listed = await eventually(async () => {
      const result = await harness().server.cli(['workflow', 'list', '--query', 'CodexTaskState="completed"']);
      return result.stdout.includes('codex-task-plain-cli') && result;
    });
    expect(listed.code).toBe(0);
    // Started without search attributes, the workflow sets the ones a client would have set.
    const byRepo = await eventually(async () => (await harness().client.listTasks({ repoPath: repo })).find((task) => task.taskId === 'plain-cli'));
    expect(byRepo).toMatchObject({ state: 'completed', priority: 0 });
    const record = await harness().server.cli(['workflow', 'query', '--workflow-id', 'codex-task-plain-cli', '--type', 'task', '--output', 'json']);
    expect(record.stdout).toContain('"state": "completed"');
    const events = await harness().server.cli([
      'workflow',
      'query',
      '--workflow-id',
      'codex-task-plain-cli',
      '--type',
      'events',
      '--input',
      '3',
      '--output',
      'json',
    ]);
    expect(events.stdout).toContain('"seq": 4');
    expect(events.stdout).not.toContain('"seq": 3,');
  });

  it('fails a task started with a bad input at once, without creating anything', async () => {
    const input = JSON.stringify({ taskId: 'bad input', repoPath: 'relative/path', prompt: '' });
    const started = await harness().temporalStart('taskWorkflow', 'bad-input', input);
    expect(started.code).toBe(0);
    await expect(harness().client.temporal.workflow.getHandle('codex-task-bad-input').result()).rejects.toMatchObject({
      cause: { type: 'VALIDATION_FAILED', message: expect.stringContaining('taskId: task id must start with a letter or digit') },
    });
  });
});

describe('determinism', () => {
  it('replays the histories of the tasks above', async () => {
    const results = await replayAll(
      harness().client.temporal.workflow.list({ query: 'WorkflowType = "taskWorkflow" AND ExecutionStatus != "Running"' }).intoHistories(),
    );
    expect(results.filter(({ error }) => error !== undefined)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(2);
  });
});
