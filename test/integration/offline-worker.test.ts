import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually, RunnerHarness, type CliRun } from '../support/runner-harness';
import { git } from '../../src/host/git';

// `codex-runner worker --scripted-model` is how a user tries every command without an OpenAI
// key: the real codex runs against the bundled scripted model, which runs the `$ ` lines of the
// instruction. Driven here through the CLI only, with no config file at all, as a user would.
let harness: RunnerHarness;
let repo: string;

beforeAll(async () => {
  harness = await RunnerHarness.start();
  repo = await harness.makeRepo();
  const worker = await harness.startWorker(['--scripted-model'], { harnessConfig: false });
  expect(worker.output).toMatch(/Scripted model at http:\/\/127\.0\.0\.1:\d+\/v1/);
});

afterAll(async () => {
  await harness?.stop();
});

async function cli(args: string[]): Promise<CliRun> {
  const run = await harness.cli(args);
  if (run.code !== 0) throw new Error(`codex-runner ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run;
}

async function record(taskId: string): Promise<{ state: string; threadId?: string; commitSha?: string; filesChanged?: string[]; finalMessage?: string }> {
  return (JSON.parse((await cli(['status', taskId, '--json'])).stdout) as { task: never }).task;
}

const inState = (taskId: string, state: string) =>
  eventually(async () => (await record(taskId)).state === state && record(taskId), 60_000, `${taskId} ${state}`);

it('drives a task through start, interrupt, resume and approve on the same thread', async () => {
  // The first turn's command outlasts the interrupt; the resumed turn runs the operator's command.
  const prompt = ['Try the offline worker', '$ echo started > started.txt && sleep 25', '$ echo never > never.txt'].join('\n');
  await cli(['start', '--repo-path', repo, '--task-id', 'offline', '--require-approval', '--prompt', prompt]);
  const worktree = path.join(repo, '.plato', 'worktrees', 'offline');
  await eventually(() => readFile(path.join(worktree, 'started.txt'), 'utf8').catch(() => undefined), 60_000, 'the first command');
  // The thread id reaches the workflow with the session's next batch of events.
  const threadId = await eventually(async () => (await record('offline')).threadId, 10_000, 'the thread id');

  await cli(['interrupt', 'offline', '--reason', 'change of plan']);
  expect((await record('offline')).state).toBe('interrupted');
  await cli(['resume', 'offline', '--message', '$ echo resumed > resumed.txt']);

  const waiting = await inState('offline', 'awaiting_approval');
  expect(waiting).toMatchObject({ threadId, filesChanged: ['resumed.txt', 'started.txt'] });
  expect(waiting.finalMessage).toBe('Scripted model (no model was asked): ran `echo resumed > resumed.txt`.');
  await cli(['approve', 'offline']);
  const done = await inState('offline', 'completed');

  const files = await git(repo, ['ls-tree', '--name-only', done.commitSha!]);
  expect(files.split('\n').sort()).toEqual(['README.md', 'resumed.txt', 'started.txt']);
  const events = (JSON.parse((await cli(['events', 'offline', '--json'])).stdout) as { events: { type: string }[] }).events.map((event) => event.type);
  expect(events).toEqual(expect.arrayContaining(['task.interrupted', 'task.resumed', 'task.awaiting_approval', 'task.approval.granted', 'task.completed']));
});

it('notes an instruction without commands in a file, so the task still has work to show', async () => {
  await cli(['start', '--repo-path', repo, '--task-id', 'offline-note', '--prompt', 'Describe the project', '--wait']);
  const done = await record('offline-note');
  expect(done).toMatchObject({ state: 'completed', filesChanged: ['scripted-model-notes.md'] });
  expect(await git(repo, ['show', `${done.commitSha}:scripted-model-notes.md`])).toBe('- Describe the project');
});
