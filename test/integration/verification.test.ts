import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { TaskEvent } from '../../src/contracts/events';
import { exec, say } from '../../src/scripted-model/scripted-model-server';
import { findChecksIn } from '../../src/activities/run-checks';
import { eventually, useRunnerHarness } from '../support/runner-harness';

// A repository's .codex-runner.yaml: `copy` brings an untracked .env into the worktree (never
// committed), `setup` makes the check tool, `verify` runs it after each turn, and a failed check
// goes back to the agent on the same thread until it passes or maxVerifyTurns runs out.
const harness = useRunnerHarness();

const CONFIG = [
  'copy: [.env]',
  'setup:',
  `  - mkdir -p tools && printf '#!/bin/sh\\necho "answer is $(cat answer.txt)"\\ntest "$(cat answer.txt)" = 42\\n' > tools/check && chmod +x tools/check`,
  'verify:',
  '  - tools/check',
  '  - grep -q SECRET=1 .env',
  'maxVerifyTurns: 1',
  '',
].join('\n');

async function checkedRepo(): Promise<string> {
  const repo = await harness().makeRepo({ 'README.md': '# app\n', '.codex-runner.yaml': CONFIG, '.gitignore': '.env\ntools/\n' });
  await writeFile(path.join(repo, '.env'), 'SECRET=1\n');
  return repo;
}

const eventsOf = (taskId: string) => harness().client.listEvents(taskId);
const ofType = (events: TaskEvent[], type: string) => events.filter((event) => event.type === type);

it('gives a failed check back to the agent on the same thread, and completes once it passes', async () => {
  const repo = await checkedRepo();
  const script = harness().model.script({
    when: 'answer-marker',
    steps: [exec('echo 41 > answer.txt'), say('wrote 41'), exec('echo 42 > answer.txt'), say('wrote 42')],
  });
  await harness().client.startTask({ taskId: 'verified', repoPath: repo, prompt: 'Write the answer (answer-marker)' });
  const doctor = await harness().cli(['doctor', '--config-path', harness().configPath, '--repo', repo, '--json']);
  expect((JSON.parse(doctor.stdout) as { checks: unknown[] }).checks).toContainEqual(
    expect.objectContaining({
      name: 'repository config',
      ok: true,
      detail: expect.stringContaining('verify `tools/check`, `grep -q SECRET=1 .env`; maxVerifyTurns 1'),
    }),
  );
  const task = await harness().client.waitForTask('verified');
  expect(task).toMatchObject({ state: 'completed', filesChanged: ['answer.txt'], verification: { status: 'passed', runs: 2 } });

  const events = await eventsOf('verified');
  expect(ofType(events, 'worktree.files.copied')[0]?.files).toEqual(['.env']);
  expect(ofType(events, 'worktree.setup.started')).toHaveLength(1);
  expect(ofType(events, 'worktree.setup.completed')).toHaveLength(1);
  expect(ofType(events, 'verification.failed')).toEqual([
    expect.objectContaining({ verificationId: 'verified:verify:1', verificationStatus: 'failed', errorCode: 'TESTS_FAILED' }),
  ]);
  expect(ofType(events, 'verification.completed')).toEqual([
    expect.objectContaining({ verificationId: 'verified:verify:2', verificationStatus: 'passed', message: 'passed: `tools/check`, `grep -q SECRET=1 .env`' }),
  ]);
  // The second turn continued the thread with the check's output.
  const fixRequest = script.requests[2];
  expect(fixRequest?.userMessages.at(-1)).toMatch(/^`tools\/check` failed with exit 1 after [\d.]+ s\. Its output:\n\n```\nanswer is 41\n```/);
  expect(fixRequest?.userText).toContain('Write the answer (answer-marker)');
  // .env came into the worktree but not into the commit.
  expect(await simpleGit(repo).raw(['ls-tree', '-r', '--name-only', task.commitSha!])).not.toContain('.env');
  await harness().recordHistory('task-verified-after-a-fix', 'verified');
});

it('fails with TESTS_FAILED when the fix never comes, and an edit of the config in the worktree does not weaken the check', async () => {
  const repo = await checkedRepo();
  harness().model.script({
    when: 'cheat-marker',
    steps: [exec(`printf 'verify: [true]\\n' > .codex-runner.yaml && echo 41 > answer.txt`), say('done'), exec('echo 40 > answer.txt'), say('done again')],
  });
  await harness().client.startTask({ taskId: 'never-fixed', repoPath: repo, prompt: 'Write the answer (cheat-marker)' });
  const task = await harness().client.waitForTask('never-fixed');
  expect(task.state).toBe('failed');
  expect(task.failure).toEqual({
    code: 'TESTS_FAILED',
    message: expect.stringMatching(/^Verification `tools\/check` failed with exit 1 after [\d.]+ s: answer is 40 \(after 1 turn\(s\) to fix it\)$/),
  });
  expect(ofType(await eventsOf('never-fixed'), 'verification.failed')).toHaveLength(2);
  await harness().recordHistory('task-tests-failed', 'never-fixed');
});

it('fails a task whose setup fails before any model call, naming the command', async () => {
  const repo = await harness().makeRepo();
  const script = harness().model.script({ when: 'setup-fails-marker', steps: [say('never asked')] });
  await harness().client.startTask({
    taskId: 'bad-setup',
    repoPath: repo,
    prompt: 'Never runs (setup-fails-marker)',
    checks: { setup: ['echo preparing && exit 3'] },
  });
  const task = await harness().client.waitForTask('bad-setup');
  expect(task.failure).toEqual({
    code: 'WORKTREE_SETUP_FAILED',
    message: expect.stringMatching(/^Setup `echo preparing && exit 3` failed with exit 3 after [\d.]+ s: preparing$/),
  });
  expect(script.requests).toHaveLength(0);
  const setup = (await eventsOf('bad-setup')).filter((event) => event.type.startsWith('worktree.setup.'));
  expect(setup.map((event) => event.type)).toEqual(['worktree.setup.started', 'worktree.setup.failed']);
  expect(setup[1]).toMatchObject({ errorCode: 'WORKTREE_SETUP_FAILED' });
});

it('refuses a malformed config in one line naming the file and the field, and nothing starts', async () => {
  const repo = await harness().makeRepo({ 'README.md': '# app\n', '.codex-runner.yaml': 'verify: [""]\nmaxVerifyTurns: many\n' });
  const cli = await harness().cli(['start', '--repo-path', repo, '--task-id', 'bad-config', '--prompt', 'Never runs']);
  expect(cli.code).toBe(2);
  expect(cli.stderr).toBe(
    'VALIDATION_FAILED: .codex-runner.yaml at HEAD: verify.0: a command must not be empty; maxVerifyTurns: Invalid input: expected number, received string; fix the file and commit it\n',
  );
  await expect(harness().client.getTask('bad-config')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  const doctor = await harness().cli(['doctor', '--config-path', harness().configPath, '--repo', repo, '--json']);
  expect(doctor.code).toBe(1);
  expect((JSON.parse(doctor.stdout) as { checks: unknown[] }).checks).toContainEqual({
    name: 'repository config',
    ok: false,
    detail: expect.stringContaining('.codex-runner.yaml at HEAD: verify.0: a command must not be empty'),
    fix: 'Fix .codex-runner.yaml, commit it, and check again',
  });
  expect(await simpleGit(repo).branch()).toMatchObject({ all: ['main'] });

  // Started with the plain temporal CLI, which checks nothing, the task fails before any model call.
  const script = harness().model.script({ when: 'bad-config-marker', steps: [say('never asked')] });
  const started = await harness().temporalStart('taskWorkflow', 'bad-config-plain', {
    taskId: 'bad-config-plain',
    repoPath: repo,
    prompt: 'Never runs (bad-config-marker)',
  });
  expect(started.code).toBe(0);
  const task = await harness().client.waitForTask('bad-config-plain');
  expect(task.failure).toEqual({
    code: 'CONFIG_INVALID',
    message: expect.stringMatching(/^\.codex-runner\.yaml at [0-9a-f]{12}: verify\.0: a command must not be empty; maxVerifyTurns: /),
  });
  expect(script.requests).toHaveLength(0);
});

it("--no-verify turns the file's verify commands off", async () => {
  const repo = await checkedRepo();
  harness().model.script({ when: 'cli-verify-marker', steps: [exec('echo 41 > answer.txt'), say('done')] });
  const started = await harness().cli([
    'start',
    '--repo-path',
    repo,
    '--task-id',
    'cli-no-verify',
    '--no-verify',
    '--prompt',
    'Write (cli-verify-marker)',
    '--wait',
  ]);
  expect(started.code).toBe(0);
  const task = await harness().client.getTask('cli-no-verify');
  expect(task.state).toBe('completed');
  expect(task.verification).toBeUndefined();
  const status = await harness().cli(['status', 'cli-no-verify']);
  expect(status.stdout).not.toContain('verification');

  const repoWithout = await harness().makeRepo();
  harness().model.script({ when: 'cli-verify-flag-marker', steps: [exec('echo 42 > answer.txt'), say('done')] });
  const verified = await harness().cli([
    'start',
    '--repo-path',
    repoWithout,
    '--task-id',
    'cli-verify',
    '--verify',
    'test -f answer.txt',
    '--verify',
    'grep -q 42 answer.txt',
    '--prompt',
    'Write (cli-verify-flag-marker)',
    '--wait',
  ]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain('verification   passed: `test -f answer.txt`, `grep -q 42 answer.txt` (run 1)');
});

it('stops a check when the task is interrupted, and verifies again on resume', async () => {
  const repo = await harness().makeRepo({ 'README.md': '# app\n', '.codex-runner.yaml': "verify: ['test -f go.txt || sleep 120']\n" });
  harness().model.script({ when: 'interrupt-check-marker', steps: [exec('echo work > work.txt'), say('done')] });
  await harness().client.startTask({ taskId: 'check-interrupted', repoPath: repo, prompt: 'Work (interrupt-check-marker)' });
  const worktree = path.join(repo, '.plato', 'worktrees', 'check-interrupted');
  await eventually(async () => (await findChecksIn(worktree)).length > 0, 60_000, 'the check to run');

  expect((await harness().cli(['interrupt', 'check-interrupted'])).code).toBe(0);
  expect((await harness().client.getTask('check-interrupted')).state).toBe('interrupted');
  expect(await findChecksIn(worktree)).toEqual([]);

  await writeFile(path.join(worktree, 'go.txt'), 'go\n');
  await harness().client.resume('check-interrupted');
  const task = await harness().client.waitForTask('check-interrupted');
  expect(task).toMatchObject({ state: 'completed', verification: { status: 'passed', runs: 2 } });
  expect(ofType(await eventsOf('check-interrupted'), 'verification.started')).toHaveLength(2);
});

it('blocks the dependents of a graph child that fails verification; its siblings complete', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'vg-first', steps: [exec('echo 1 > first.txt'), say('first done')] });
  harness().model.script({ when: 'vg-middle', steps: [exec('echo 1 > middle.txt'), say('middle done')] });
  harness().model.script({ when: 'vg-sibling', steps: [exec('echo 1 > sibling.txt'), say('sibling done')] });
  await harness().client.createTaskGraph({
    parent: { taskId: 'vg', repoPath: repo, prompt: 'A verified chain', checks: { verify: ['true'] } },
    children: [
      { taskId: 'vg-first', prompt: 'First (vg-first)' },
      { taskId: 'vg-middle', prompt: 'Middle (vg-middle)', dependencyTaskIds: ['vg-first'], checks: { verify: ['test -f never.txt'], maxVerifyTurns: 0 } },
      { taskId: 'vg-last', prompt: 'Never runs', dependencyTaskIds: ['vg-middle'] },
      { taskId: 'vg-sibling', prompt: 'Sibling (vg-sibling)' },
    ],
  });
  expect((await harness().client.waitForTask('vg')).state).toBe('failed');
  expect(await harness().client.getTask('vg-middle')).toMatchObject({ state: 'failed', failure: { code: 'TESTS_FAILED' }, verification: { status: 'failed' } });
  expect(await harness().client.getTask('vg-last')).toMatchObject({ state: 'failed', failure: { code: 'TASK_GRAPH_DEPENDENCY_FAILED' } });
  for (const id of ['vg-first', 'vg-sibling']) {
    expect(await harness().client.getTask(id)).toMatchObject({ state: 'completed', verification: { status: 'passed' } });
  }
  const results = await harness().cli(['graph', 'results', 'vg']);
  expect(results.stdout).toContain('vg-middle: failed (verification failed)');
  expect(results.stdout).toMatch(/vg-sibling: completed \(verification passed\) [0-9a-f]{12}/);
  await harness().recordHistory('graph-child-verification-failed', 'vg');
});
