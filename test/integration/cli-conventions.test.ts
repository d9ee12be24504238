/**
 * The CLI's conventions as a script sees them, against a real dev server and worker: exit codes,
 * errors as `CODE: message` or, with --json, one JSON document on stderr; the global Temporal
 * options over the environment; the prompt from a file or stdin.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { TaskRecord } from '../../src/contracts/records';
import { httpError, say } from '../../src/scripted-model/scripted-model-server';
import { runCli, useRunnerHarness, type CliRun } from '../support/runner-harness';

const harness = useRunnerHarness();

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The one-line error of a run, after checking its exit code and that stderr holds only that line. */
function errorLine(run: CliRun, exitCode: number): string {
  expect(run.code).toBe(exitCode);
  expect(run.stderr.endsWith('\n') && !run.stderr.trimEnd().includes('\n')).toBe(true);
  return run.stderr.trimEnd();
}

/** The JSON error of a --json run, after checking its exit code and that stderr is that one document. */
function jsonError(run: CliRun, exitCode: number): { code: string; message: string } {
  expect(run.code).toBe(exitCode);
  const document = JSON.parse(run.stderr) as { error: { code: string; message: string } };
  expect(Object.keys(document)).toEqual(['error']);
  expect(Object.keys(document.error)).toEqual(['code', 'message']);
  return document.error;
}

describe('a usage error', () => {
  it('exits 2 with VALIDATION_FAILED: message, or the JSON error with --json', async () => {
    expect(errorLine(await harness().cli(['start', '--prompt', 'x', '--bogus']), 2)).toBe(
      "VALIDATION_FAILED: unknown option '--bogus' (run with --help for usage)",
    );
    expect(jsonError(await harness().cli(['start', '--prompt', 'x', '--bogus', '--json']), 2)).toEqual({
      code: 'VALIDATION_FAILED',
      message: "unknown option '--bogus' (run with --help for usage)",
    });
    expect(errorLine(await harness().cli(['list', '--limit', '0']), 2)).toBe(
      "VALIDATION_FAILED: option '--limit <n>' argument '0' is invalid. limit must be at least 1 (run with --help for usage)",
    );
  });
});

describe('Temporal down', () => {
  it('exits 1 with TEMPORAL_UNAVAILABLE when --address points at a closed port, over TEMPORAL_ADDRESS', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const line = errorLine(await harness().cli(['--address', address, 'list']), 1);
    expect(line).toMatch(new RegExp(`^TEMPORAL_UNAVAILABLE: Temporal is not reachable at ${address.replace(/\./g, '\\.')}: start the dev server`));
    const error = jsonError(await harness().cli(['status', 'anything', '--address', address, '--json']), 1);
    expect(error).toMatchObject({ code: 'TEMPORAL_UNAVAILABLE', message: expect.stringContaining(`not reachable at ${address}`) });
  });
});

describe('an unknown task', () => {
  it('exits 1 with TASK_NOT_FOUND, or the JSON error with --json', async () => {
    expect(errorLine(await harness().cli(['status', 'no-such-task']), 1)).toBe('TASK_NOT_FOUND: Task no-such-task was not found');
    expect(jsonError(await harness().cli(['interrupt', 'no-such-task', '--json']), 1)).toEqual({
      code: 'TASK_NOT_FOUND',
      message: 'Task no-such-task was not found',
    });
  });
});

describe('a task that fails under --wait', () => {
  it('prints the task, then exits 1 with the code it failed with', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({
      when: 'refused-marker',
      steps: [httpError(400, { error: { message: 'refused by the model', type: 'invalid_request_error', code: null } })],
    });
    const run = await harness().cli(['start', '--repo-path', repo, '--task-id', 'refused', '--prompt', 'Work (refused-marker)', '--wait']);
    expect(run.stdout).toMatch(/^state +failed$/m);
    expect(errorLine(run, 1)).toMatch(/^CODEX_TURN_FAILED: Task refused ended failed: .*refused by the model/);
  });

  it('with --json: the task on stdout, the JSON error on stderr', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({
      when: 'refused-json-marker',
      steps: [httpError(400, { error: { message: 'refused again', type: 'invalid_request_error', code: null } })],
    });
    const run = await harness().cli(['start', '--repo-path', repo, '--task-id', 'refused-json', '--prompt', 'Work (refused-json-marker)', '--wait', '--json']);
    expect((JSON.parse(run.stdout) as { task: TaskRecord }).task).toMatchObject({
      taskId: 'refused-json',
      state: 'failed',
      failure: { code: 'CODEX_TURN_FAILED' },
    });
    expect(jsonError(run, 1)).toMatchObject({ code: 'CODEX_TURN_FAILED', message: expect.stringMatching(/^Task refused-json ended failed: .*refused again/) });
  });
});

describe('the global Temporal options', () => {
  it('--address and --namespace reach the server when the environment points elsewhere; --profile reads temporal.toml', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'global-options-marker', steps: [say('done')] });
    await harness().client.startTask({ taskId: 'global-options', repoPath: repo, prompt: 'Nothing (global-options-marker)' });
    await harness().client.waitForTask('global-options');
    const elsewhere = { TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, TEMPORAL_NAMESPACE: 'no-such-namespace' };
    const { address, namespace } = harness().server;
    const flagged = await harness().cli(['status', 'global-options', '--address', address, '--namespace', namespace, '--json'], elsewhere);
    expect(flagged.code).toBe(0);
    expect((JSON.parse(flagged.stdout) as { task: TaskRecord }).task.state).toBe('completed');

    const config = path.join(harness().codexEnv.root, 'temporal.toml');
    await writeFile(config, `[profile.test]\naddress = "${address}"\nnamespace = "${namespace}"\n`);
    // Only the profile says where Temporal is.
    const env = Object.fromEntries(
      Object.entries(harness().env({ TEMPORAL_CONFIG_FILE: config })).filter(([name]) => !/^TEMPORAL_(ADDRESS|NAMESPACE)$/.test(name)),
    );
    expect((await runCli(['--profile', 'test', 'status', 'global-options'], { env })).code).toBe(0);
    expect(errorLine(await runCli(['--profile', 'nope', 'status', 'global-options'], { env }), 2)).toBe(
      "VALIDATION_FAILED: Cannot read Temporal's environment configuration: Profile 'nope' not found in config data",
    );
  });
});

describe('--prompt-file', () => {
  it("makes a file's text, or stdin's with -, the task's prompt", async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'prompt-file-marker', steps: [say('done')] });
    const file = path.join(repo, '..', `${path.basename(repo)}-prompt.md`);
    await writeFile(file, 'Read the prompt from a file (prompt-file-marker).\n\nIt has two paragraphs.\n');
    const fromFile = await harness().cli(['start', '--repo-path', repo, '--task-id', 'from-file', '--prompt-file', file, '--json']);
    expect(fromFile.code).toBe(0);
    expect((await harness().client.getTask('from-file')).prompt).toBe('Read the prompt from a file (prompt-file-marker).\n\nIt has two paragraphs.');

    const fromStdin = await runCli(['start', '--repo-path', repo, '--task-id', 'from-stdin', '--prompt-file', '-'], {
      env: harness().env(),
      input: 'Read the prompt from stdin (prompt-file-marker).\n',
    });
    expect(fromStdin.code).toBe(0);
    expect((await harness().client.getTask('from-stdin')).prompt).toBe('Read the prompt from stdin (prompt-file-marker).');
  });
});
