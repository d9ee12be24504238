import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunnerConfig } from '../../src/contracts/config';
import { RunnerHarness, type CliRun, type WorkerProcess } from '../support/runner-harness';
import { exec, say, type CodexConfigObject } from '../../src/scripted-model/scripted-model-server';

// Looks like a real key and occurs nowhere else: any hit is a leak.
const KEY = `sk-proj-${randomBytes(24).toString('hex')}`;
const KEY_ENCODINGS = [KEY, Buffer.from(KEY).toString('base64'), Buffer.from(KEY).toString('hex')];

let harness: RunnerHarness;
let worker: WorkerProcess;
const cliRuns: CliRun[] = [];

/** Every string in `value`, with byte arrays (Temporal payloads) decoded as UTF-8. */
function textOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const item of value) textOf(item, out);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) textOf(item, out);
  return out;
}

beforeAll(async () => {
  harness = await RunnerHarness.start();
  const dir = path.join(harness.codexEnv.root, 'secrets-test');
  const configPath = path.join(dir, 'config.json');
  const secretsPath = path.join(dir, 'secrets.json');
  // The scripted model as a provider that, like OpenAI's, sends the key codex got as CODEX_API_KEY.
  const codexConfig = harness.model.codexConfig();
  (codexConfig.model_providers as Record<string, CodexConfigObject>).mock!.env_key = 'CODEX_API_KEY';
  const config: RunnerConfig = { codex: { config: codexConfig } };
  await mkdir(dir, { recursive: true });
  await writeFile(configPath, JSON.stringify(config));

  const paths = ['--config-path', configPath, '--secrets-path', secretsPath];
  cliRuns.push(await harness.cli(['config', 'set-openai-key', '--api-key-env', 'KEY_FOR_THE_RUNNER', ...paths], { KEY_FOR_THE_RUNNER: KEY }));
  cliRuns.push(await harness.cli(['config', 'status', ...paths]));
  worker = await harness.startWorker(paths);

  harness.model.script({ when: 'secret-task-marker', steps: [exec('echo one > one.txt'), say('task done')] });
  for (const child of ['a', 'b']) {
    harness.model.script({ when: `secret-child-${child}-marker`, steps: [exec(`echo ${child} > ${child}.txt`), say(`${child} done`)] });
  }
  const repo = await harness.makeRepo();
  await harness.client.startTask({ taskId: 'with-api-key', repoPath: repo, prompt: 'Write one.txt (secret-task-marker)' });
  await harness.client.createTaskGraph({
    parent: { taskId: 'graph-with-api-key', repoPath: repo, prompt: 'A graph run with the API key' },
    children: [
      { taskId: 'graph-child-a', prompt: 'Write a.txt (secret-child-a-marker)' },
      { taskId: 'graph-child-b', prompt: 'Write b.txt (secret-child-b-marker)', dependencyTaskIds: ['graph-child-a'] },
    ],
  });
  for (const taskId of ['with-api-key', 'graph-with-api-key']) {
    expect((await harness.client.waitForTask(taskId)).state).toBe('completed');
  }
});

afterAll(async () => {
  await harness?.stop();
});

it('stores the key through the CLI and shows only its last four characters', () => {
  expect(cliRuns.map((run) => run.code)).toEqual([0, 0]);
  expect(cliRuns[1]!.stdout).toContain(`OpenAI API key ending in ${KEY.slice(-4)}`);
});

it('hands the key to codex on the worker host: the model saw it as the bearer token', () => {
  const turns = harness.model.requests.filter((request) => /secret-(task|child-a|child-b)-marker/.test(request.userText));
  expect(turns).toHaveLength(6); // two model requests (a command, then the answer) for each of three tasks
  for (const request of turns) expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
});

it('keeps the key out of every workflow history: inputs, results, heartbeats, memos, search attributes, events', async () => {
  const histories: { workflowId: string; text: string }[] = [];
  for await (const { workflowId, history } of harness.client.temporal.workflow.list().intoHistories()) {
    histories.push({ workflowId, text: textOf(history).join('\n') });
  }
  expect(histories.map((h) => h.workflowId).sort()).toEqual(
    ['codex-task-graph-child-a', 'codex-task-graph-child-b', 'codex-task-graph-with-api-key', 'codex-task-with-api-key'].sort(),
  );
  // The decoding works: the prompts are readable in the same text that is scanned for the key.
  expect(histories.find((h) => h.workflowId === 'codex-task-with-api-key')?.text).toContain('secret-task-marker');
  for (const { workflowId, text } of histories) {
    for (const encoding of KEY_ENCODINGS) expect({ workflowId, leaked: text.includes(encoding) }).toEqual({ workflowId, leaked: false });
  }
});

it("keeps the key out of the worker's and the CLI's output", () => {
  const output = [worker.output, ...cliRuns.flatMap((run) => [run.stdout, run.stderr])].join('\n');
  expect(output).toContain('Worker ready');
  for (const encoding of KEY_ENCODINGS) expect(output.includes(encoding)).toBe(false);
});
