import { readFile, writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import type { RunnerConfig } from '../../src/contracts/config';
import type { TaskRecord } from '../../src/contracts/task';
import { useRunnerHarness } from '../support/runner-harness';
import { exec, say, type RecordedRequest } from '../../src/scripted-model/scripted-model-server';

// Models whose metadata ships with codex 0.163.0 (another name adds a "metadata not found" item).
const HOST_DEFAULT_MODEL = 'gpt-5.6-sol';
const TASK_MODEL = 'gpt-5.6-terra';

const SESSION_NICE = 3;
const harness = useRunnerHarness(['--session-nice', String(SESSION_NICE)]);

beforeAll(async () => {
  // The host's defaults: the config file's codex section, read by the worker at every turn.
  const config = JSON.parse(await readFile(harness().configPath, 'utf8')) as RunnerConfig;
  await writeFile(harness().configPath, JSON.stringify({ ...config, codex: { ...config.codex, model: HOST_DEFAULT_MODEL } }));
});

/** What codex sent the model for one task: the model and effort asked for, the sandbox, command results. */
function observe(marker: string) {
  const requests = harness().model.requests.filter((request) => request.userText.includes(marker));
  return {
    models: [...new Set(requests.map((request) => (request.body as { model?: string }).model))],
    efforts: [...new Set(requests.map((request) => (request.body as { reasoning?: { effort?: string } }).reasoning?.effort))],
    sandbox: sandboxModeOf(requests[0]!),
    network: /Network access is (enabled|restricted)\./.exec(requests[0]!.inputText)?.[1],
    // What the shell said, as codex reports it back to the model (the same for every model; not
    // every model's turn reports its commands as command items in the task's events).
    commandOutput: requests
      .flatMap((request) => request.input.filter((item) => item.type === 'function_call_output').map((item) => String(item.output)))
      .join('\n'),
  };
}

/** codex tells the model its sandbox in the developer instructions: "`sandbox_mode` is `read-only`". */
function sandboxModeOf(request: RecordedRequest): string | undefined {
  return /`sandbox_mode` is `([a-z-]+)`/.exec(request.inputText)?.[1];
}

describe('a task started with --model, --reasoning-effort and --sandbox read-only', () => {
  const marker = 'read-only-task-marker';
  let task: TaskRecord;

  beforeAll(async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: marker, steps: [exec('echo hi > attempt.txt'), say('tried')] });
    const run = await harness().cli([
      'start',
      '--task-id',
      'read-only-task',
      '--repo-path',
      repo,
      '--prompt',
      `Try to write a file (${marker})`,
      '--model',
      TASK_MODEL,
      '--reasoning-effort',
      'low',
      '--sandbox',
      'read-only',
      '--wait',
      '--json',
    ]);
    ({ task } = JSON.parse(run.stdout) as { task: TaskRecord });
  });

  it('runs codex with them, over the host defaults: the model, the effort, and a sandbox that refuses writes', () => {
    const seen = observe(marker);
    expect(seen.models).toEqual([TASK_MODEL]);
    expect(seen.efforts).toEqual(['low']);
    expect(seen.sandbox).toBe('read-only');
    expect(seen.commandOutput).toContain('attempt.txt: Read-only file system');
    expect(task.state).toBe('completed');
    expect(task.filesChanged ?? []).toEqual([]);
  });
});

describe('a task started without options', () => {
  const marker = 'default-options-marker';
  let task: TaskRecord;

  beforeAll(async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: marker, steps: [exec('echo hi > written.txt'), say('wrote it')] });
    await harness().client.startTask({ taskId: 'default-options', repoPath: repo, prompt: `Write a file (${marker})` });
    task = await harness().client.waitForTask('default-options');
  });

  it("runs codex with the config file's model, the default workspace-write sandbox and no network", () => {
    const seen = observe(marker);
    expect(seen.models).toEqual([HOST_DEFAULT_MODEL]);
    expect(seen.sandbox).toBe('workspace-write');
    expect(seen.network).toBe('restricted');
    expect(task.filesChanged).toEqual(['written.txt']);
  });
});

describe('a task on a worker started with --session-nice 3', () => {
  it('runs codex, and the commands it runs, 3 steps below the worker', async () => {
    const marker = 'session-nice-marker';
    const repo = await harness().makeRepo();
    // `nice` without arguments prints the niceness it runs at; the worker has this process's.
    harness().model.script({ when: marker, steps: [exec('nice'), say('done')] });
    await harness().client.startTask({ taskId: 'session-nice', repoPath: repo, prompt: `Print your niceness (${marker})` });
    expect((await harness().client.waitForTask('session-nice')).state).toBe('completed');
    const command = (await harness().client.listEvents('session-nice')).find((event) => event.item?.kind === 'command')?.item;
    expect(command).toMatchObject({ kind: 'command', exitCode: 0, output: `${Math.min(19, getPriority() + SESSION_NICE)}\n` });
  });
});

describe('a graph with options on the parent and on one child', () => {
  beforeAll(async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'inherits-marker', steps: [exec('echo a > a.txt'), say('a')] });
    harness().model.script({ when: 'overrides-marker', steps: [exec('echo b > b.txt'), say('b')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'options-graph', repoPath: repo, prompt: 'Two children', codex: { model: TASK_MODEL, networkAccess: true } },
      children: [
        { taskId: 'inherits', prompt: 'Write a.txt (inherits-marker)' },
        { taskId: 'overrides', prompt: 'Write b.txt (overrides-marker)', codex: { sandboxMode: 'read-only' } },
      ],
    });
    expect((await harness().client.waitForTask('options-graph')).state).toBe('completed');
  });

  it("gives each child the parent's options, merged with its own", () => {
    const inherits = observe('inherits-marker');
    const overrides = observe('overrides-marker');
    expect([inherits.models, inherits.sandbox, inherits.network]).toEqual([[TASK_MODEL], 'workspace-write', 'enabled']);
    expect([overrides.models, overrides.sandbox]).toEqual([[TASK_MODEL], 'read-only']);
    expect(overrides.commandOutput).toContain('b.txt: Read-only file system');
    expect(inherits.commandOutput).not.toContain('Read-only file system');
  });
});

it('refuses an unknown sandbox mode before anything is created', async () => {
  const repo = await harness().makeRepo();
  const run = await harness().cli(['start', '--task-id', 'bad-sandbox', '--repo-path', repo, '--prompt', 'x', '--sandbox', 'full-access']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(
    "option '--sandbox <mode>' argument 'full-access' is invalid. Allowed choices are read-only, workspace-write, danger-full-access.",
  );
  await expect(harness().client.getTask('bad-sandbox')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
});
