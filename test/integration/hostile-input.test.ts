/**
 * Hostile input through the entry points a user has: the plain `temporal` CLI for messages and
 * hand-started workflows, the codex-runner CLI, the client library. After each, the task still
 * answers, still completes or cancels normally, and the worker still runs a good task.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { WrongStateError } from '../../src/client/errors';
import { TASK_QUEUE_RULE, taskWorkflowId } from '../../src/contracts/ids';
import { eventually, useRunnerHarness, type CliRun } from '../support/runner-harness';
import { exec, hang, say } from '../../src/scripted-model/scripted-model-server';
import { historyOf } from '../support/task-events';

const harness = useRunnerHarness();

const signal = (taskId: string, name: string, input: string) =>
  harness().server.cli(['workflow', 'signal', '--workflow-id', taskWorkflowId(taskId), '--name', name, '--input', input]);
const update = (taskId: string, name: string, input: string) =>
  harness().server.cli(['workflow', 'update', 'execute', '--workflow-id', taskWorkflowId(taskId), '--name', name, '--input', input]);
const ignoredSignals = async (taskId: string) =>
  (await harness().client.listEvents(taskId)).filter((event) => event.type === 'task.signal.ignored').map((event) => event.message);
const oneLine = (run: CliRun) => {
  expect(run.code).not.toBe(0);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  return run.stderr.trim();
};

describe('a wrongly shaped or forged signal', () => {
  it('is dropped and recorded, and the task answers, then completes', async () => {
    const repo = await harness().makeRepo();
    const turn = harness().model.script({ when: 'hostile-signals-marker', steps: [hang(exec('echo fine > fine.txt')), say('done anyway')] });
    await harness().client.startTask({ taskId: 'hostile', repoPath: repo, prompt: 'Work (hostile-signals-marker)' });
    await turn.waitForRequests(1);
    for (const [name, input] of [
      ['interrupt', '{"reason": 42}'],
      ['resume', '{"message": 42}'],
      ['sessionEvents', '"junk"'],
      ['sessionEvents', '{"attempt": 1, "events": [{"type": "task.completed", "at": "now"}]}'],
      ['graphRelease', '{"baseSha": "x"}'],
      ['graphBlock', '{"blockedByTaskIds": ["a"], "rootCause": {"taskId": "a", "code": "TASK_FAILED", "message": "forged"}}'],
    ]) {
      expect((await signal('hostile', name!, input!)).code).toBe(0);
    }
    await eventually(async () => (await ignoredSignals('hostile')).length === 6, 30_000, 'six ignored signals');
    const ignored = await ignoredSignals('hostile');
    expect(ignored[0]).toBe('Ignored signal interrupt: reason: Invalid input: expected string, received number');
    expect(ignored[1]).toMatch(/^Ignored signal resume: message: /);
    expect(ignored[4]).toMatch(/^Ignored signal graphRelease: /);
    expect(ignored[5]).toBe('Ignored signal graphBlock: task hostile is not part of a graph');
    expect((await harness().client.getTask('hostile')).state).toBe('running');
    turn.release();
    expect(await harness().client.waitForTask('hostile')).toMatchObject({ state: 'completed', filesChanged: ['fine.txt'] });
    await harness().recordHistory('task-signals-ignored', 'hostile');
  });

  it('interrupt and resume with a null payload mean no reason and no message', async () => {
    const repo = await harness().makeRepo();
    const turn = harness().model.script({ when: 'null-payload-marker', steps: [hang(), exec('echo resumed > resumed.txt'), say('resumed anyway')] });
    await harness().client.startTask({ taskId: 'null-payload', repoPath: repo, prompt: 'Work (null-payload-marker)' });
    await turn.waitForRequests(1);
    expect((await signal('null-payload', 'interrupt', 'null')).code).toBe(0);
    await eventually(async () => (await harness().client.getTask('null-payload')).state === 'interrupted', 60_000, 'interrupted');
    expect((await signal('null-payload', 'resume', 'null')).code).toBe(0);
    expect(await harness().client.waitForTask('null-payload')).toMatchObject({ state: 'completed', filesChanged: ['resumed.txt'] });
    expect(await ignoredSignals('null-payload')).toEqual([]);
  });

  it('to a graph is checked against the graph: a stranger’s state or session is dropped, a forged release does not start a child', async () => {
    const repo = await harness().makeRepo();
    const first = harness().model.script({ when: 'forged-first-marker', steps: [hang(say('first done'))] });
    harness().model.script({ when: 'forged-second-marker', steps: [say('second done')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'forged', repoPath: repo, prompt: 'A graph under attack' },
      children: [
        { taskId: 'forged-first', prompt: 'First (forged-first-marker)' },
        { taskId: 'forged-second', prompt: 'Second (forged-second-marker)', dependencyTaskIds: ['forged-first'] },
      ],
    });
    await first.waitForRequests(1);
    await signal('forged', 'childState', '{"taskId": "stranger", "state": "interrupted"}');
    await signal('forged', 'graphSession', '{"taskId": "forged-second", "session": "started"}');
    await signal('forged', 'childState', 'null');
    const sha = '0'.repeat(40);
    await signal('forged-second', 'graphRelease', JSON.stringify({ baseSha: sha, mergeShas: [], satisfied: [] }));
    await eventually(
      async () => (await ignoredSignals('forged')).length === 3 && (await ignoredSignals('forged-second')).length === 1,
      30_000,
      'ignored signals',
    );
    expect(await ignoredSignals('forged')).toEqual([
      'Ignored signal childState: stranger is not a child of this graph',
      'Ignored signal graphSession: forged-second is not a child this graph has released',
      'Ignored signal childState: input: Invalid input: expected object, received null',
    ]);
    expect(await ignoredSignals('forged-second')).toEqual(['Ignored signal graphRelease: it names prerequisites none, but this child has forged-first']);
    expect((await harness().client.getTask('forged-second')).state).toBe('queued');
    first.release();
    expect((await harness().client.waitForTask('forged')).state).toBe('completed');
    expect(await simpleGit(repo).revparse([`plato/task-forged-second`])).not.toBe(sha);
    await harness().recordHistory('graph-signals-ignored', 'forged');
  });
});

describe('an approval update with a bad payload', () => {
  it('is refused naming the field, leaving nothing in history; a good one then decides', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'bad-approval-marker', steps: [exec('echo ok > ok.txt'), say('ready')] });
    await harness().client.startTask({ taskId: 'bad-approval', repoPath: repo, prompt: 'Work (bad-approval-marker)', requireApproval: true });
    await eventually(async () => (await harness().client.getTask('bad-approval')).state === 'awaiting_approval', 60_000, 'awaiting approval');
    const before = (await historyOf(harness().client, 'bad-approval')).events?.length ?? 0;
    expect((await update('bad-approval', 'approve', '{"by": 42}')).stderr).toContain('by: Invalid input: expected string, received number');
    expect((await update('bad-approval', 'reject', '{"reason": 42}')).stderr).toContain('reason: Invalid input: expected string, received number');
    expect((await update('bad-approval', 'requestChanges', '{"message": "  "}')).stderr).toContain('message: say which changes you want');
    const history = await historyOf(harness().client, 'bad-approval');
    expect(history.events?.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    expect(history.events?.length).toBe(before);
    expect((await harness().client.approve('bad-approval', { by: 'alice' })).state).toBe('completed');
  });
});

describe('a workflow started by hand', () => {
  it('runs only under its own workflow id, and only as a child of the graph it names', async () => {
    const repo = await harness().makeRepo();
    const wrongId = await harness().server.cli([
      'workflow',
      'start',
      '--type',
      'taskWorkflow',
      '--task-queue',
      'codex-runner',
      '--workflow-id',
      'not-a-task-id',
      '--input',
      JSON.stringify({ taskId: 'misplaced', repoPath: repo, prompt: 'x' }),
    ]);
    expect(wrongId.code).toBe(0);
    await expect(harness().client.temporal.workflow.getHandle('not-a-task-id').result()).rejects.toMatchObject({
      cause: {
        type: 'VALIDATION_FAILED',
        message: expect.stringContaining('workflowId: task misplaced runs as workflow codex-task-misplaced, not not-a-task-id'),
      },
    });
    await harness().temporalStart('taskWorkflow', 'orphan', { taskId: 'orphan', repoPath: repo, prompt: 'x', parentTaskId: 'no-such-graph' });
    await expect(harness().client.waitForTask('orphan')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('parentTaskId: no-such-graph did not start this task'),
    });
    expect((await simpleGit(repo).branchLocal()).all).toEqual(['main']);
  });

  it('refuses an id git refuses as a branch name, in one line', async () => {
    const repo = await harness().makeRepo();
    for (const id of ['a..b', 'x.lock', 'trailing.']) {
      const refused = oneLine(await harness().cli(['start', '--repo-path', repo, '--prompt', 'x', '--task-id', id]));
      expect(refused).toContain('no "..", no trailing "." and no ".lock" ending');
    }
    await harness().temporalStart('taskWorkflow', 'y.lock', { taskId: 'y.lock', repoPath: repo, prompt: 'x' });
    await expect(harness().client.temporal.workflow.getHandle(taskWorkflowId('y.lock')).result()).rejects.toMatchObject({
      cause: { type: 'VALIDATION_FAILED' },
    });
  });
});

describe('an ordinary mistake', () => {
  it('gets its answer at once: interrupting a task awaiting approval, cancelling twice', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'mistake-marker', steps: [exec('echo ok > ok.txt'), say('ready')] });
    await harness().client.startTask({ taskId: 'mistake', repoPath: repo, prompt: 'Work (mistake-marker)', requireApproval: true });
    await eventually(async () => (await harness().client.getTask('mistake')).state === 'awaiting_approval', 60_000, 'awaiting approval');
    const asked = Date.now();
    expect(oneLine(await harness().cli(['interrupt', 'mistake']))).toBe('TASK_WRONG_STATE: Task mistake was not interrupted: it is awaiting_approval');
    expect(oneLine(await harness().cli(['resume', 'mistake']))).toBe('TASK_WRONG_STATE: Task mistake was not resumed: it is awaiting_approval');
    // Before, the CLI sent the signal and waited a minute for a state that could not come.
    expect(Date.now() - asked).toBeLessThan(30_000);
    expect((await harness().cli(['cancel', 'mistake'])).code).toBe(0);
    expect(oneLine(await harness().cli(['cancel', 'mistake']))).toBe('TASK_WRONG_STATE: Task mistake is already cancelled');
  });

  it('ends the wait for a graph child that can never run: its graph was terminated', async () => {
    const repo = await harness().makeRepo();
    const first = harness().model.script({ when: 'doomed-first-marker', steps: [hang()] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'doomed', repoPath: repo, prompt: 'A graph terminated by hand' },
      children: [
        { taskId: 'doomed-first', prompt: 'First (doomed-first-marker)' },
        { taskId: 'doomed-second', prompt: 'Second', dependencyTaskIds: ['doomed-first'] },
      ],
    });
    await first.waitForRequests(1);
    const waiting = harness().client.waitForTask('doomed-second');
    await harness().server.cli(['workflow', 'terminate', '--workflow-id', taskWorkflowId('doomed'), '--reason', 'by hand']);
    await expect(waiting).rejects.toThrow(WrongStateError);
    await expect(waiting).rejects.toThrow('Task doomed-second can never run: its graph doomed has ended (terminated) while it was queued');
    await harness().client.cancel('doomed-first');
    await harness().client.cancel('doomed-second');
  });

  it('does not hang on a secrets path that is a FIFO', async () => {
    const dir = path.join(harness().codexEnv.root, 'fifo');
    await mkdir(dir, { recursive: true });
    const fifo = path.join(dir, 'secrets.json');
    execFileSync('mkfifo', [fifo]);
    // A config that names an API key, so doctor reads the secrets file for it.
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ codexAuth: { provider: 'openai_api_key', openAIApiKeySecretRef: 'codex.openai_api_key' } }));
    const doctor = await new Promise<CliRun>((resolve) => {
      const args = [path.resolve(__dirname, '../../dist/cli/main.js'), 'doctor', '--config-path', config, '--secrets-path', fifo];
      const child = spawn(process.execPath, args, { env: harness().env() });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr: '' });
      });
    });
    expect(doctor.stdout).toContain(`${fifo} is not a regular file`);
  });

  it('is refused in one line naming the field: empty values, a timeout without approval, a file or a subdirectory as the repository', async () => {
    const repo = await harness().makeRepo();
    await mkdir(path.join(repo, 'sub'));
    await writeFile(path.join(repo, 'file.txt'), 'x\n');
    await simpleGit(repo).raw(['worktree', 'add', '-b', 'side', path.join(repo, '..', `${path.basename(repo)}-side`)]);
    const start = (...args: string[]) => harness().cli(['start', '--prompt', 'x', '--repo-path', repo, ...args]);
    expect(oneLine(await start('--task-id', ''))).toBe('VALIDATION_FAILED: --task-id must not be empty (give it a value, or leave it out)');
    expect(oneLine(await start('--base-ref', ''))).toBe('VALIDATION_FAILED: --base-ref must not be empty (give it a value, or leave it out)');
    expect(oneLine(await start('--model', ''))).toBe('VALIDATION_FAILED: --model must not be empty (give it a value, or leave it out)');
    expect(oneLine(await start('--approval-timeout', '2h'))).toContain('approvalTimeout: a timeout needs an approval to time out');
    const elsewhere = (repoPath: string) => harness().cli(['start', '--prompt', 'x', '--repo-path', repoPath]);
    expect(oneLine(await elsewhere(path.join(repo, 'file.txt')))).toContain('is a file, not a directory');
    expect(oneLine(await elsewhere(path.join(repo, 'sub')))).toContain(`is inside the git repository ${repo}; pass its root, ${repo}`);
    expect(oneLine(await elsewhere(path.join(repo, '..', `${path.basename(repo)}-side`)))).toContain(
      `is a linked worktree of the repository at ${repo}; pass ${repo}`,
    );
    expect(oneLine(await harness().cli(['start', '--prompt', 'x', '--bogus']))).toBe("VALIDATION_FAILED: unknown option '--bogus' (run with --help for usage)");
    for (const command of [['start', '--prompt', 'x'], ['graph', 'start', '--prompt', 'x', '--child', 'a:x'], ['worker'], ['mcp']]) {
      expect(oneLine(await harness().cli([...command, '--task-queue', 'a b']))).toBe(
        `VALIDATION_FAILED: option '--task-queue <name>' argument 'a b' is invalid. A task queue name ${TASK_QUEUE_RULE}. (run with --help for usage)`,
      );
    }
  });

  it('in graph start --file is named, not a JavaScript error; YAML merge keys work', async () => {
    const repo = await harness().makeRepo();
    const file = (name: string, text: string) =>
      writeFile(path.join(repo, '..', `${path.basename(repo)}-${name}`), text).then(() => path.join(repo, '..', `${path.basename(repo)}-${name}`));
    const graph = (graphFile: string) => harness().cli(['graph', 'start', '--repo-path', repo, '--prompt', 'goal', '--file', graphFile]);
    expect(oneLine(await graph(await file('string.json', '{"children": "ab"}')))).toContain('children: Invalid input: expected array, received string');
    expect(oneLine(await graph(await file('list.json', '[]')))).toContain('must hold an object with parent and children, not a list');
    expect(oneLine(await graph(await file('extra.yaml', 'childs: []\n')))).toContain('unknown field childs');
    harness().model.script({ when: 'merge-key-marker', steps: [say('merged keys')] });
    const children = [
      'children:',
      '  - &first',
      '    taskId: merge-a',
      '    prompt: Use merge keys (merge-key-marker)',
      '    priority: 3',
      '  - <<: *first',
      '    taskId: merge-b',
    ];
    const yaml = await file('merge.yaml', `${children.join('\n')}\n`);
    expect((await graph(yaml)).code).toBe(0);
    const started = await harness().client.getTask('merge-b');
    expect(started).toMatchObject({ prompt: 'Use merge keys (merge-key-marker)', priority: 3 });
  });
});
