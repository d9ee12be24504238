/**
 * Proves the scripted model server drives the real codex binary (through @openai/codex-sdk):
 * commands run in the working directory, errors and hangs behave as tests expect, resumed threads
 * carry their history, and concurrent threads each get their own script.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Codex, CommandExecutionItem, ThreadEvent, ThreadItem, ThreadOptions } from '@openai/codex-sdk' with { 'resolution-mode': 'import' };
import { createCodexTestEnv, loadCodexSdk, type CodexSdk, type CodexTestEnv } from '../support/codex-env';
import { SCRIPTED_USAGE, ScriptedModelServer, delay, disconnect, exec, hang, httpError, say } from '../../src/scripted-model/scripted-model-server';

const execFileAsync = promisify(execFile);

let model: ScriptedModelServer;
let codexEnv: CodexTestEnv;
let codex: Codex;
let sdk: CodexSdk;
/** Undo steps registered as resources are created, so a failed beforeAll still cleans up. */
const cleanups: Array<() => Promise<unknown>> = [];

async function makeRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scripted-model-repo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: dir, env: codexEnv.env });
  await git('init', '-q', '-b', 'main');
  await git('commit', '-q', '--allow-empty', '-m', 'init');
  return dir;
}

function threadOptions(workingDirectory: string): ThreadOptions {
  return { workingDirectory, sandboxMode: 'workspace-write', approvalPolicy: 'never', skipGitRepoCheck: true };
}

async function collect(events: AsyncGenerator<ThreadEvent>): Promise<ThreadEvent[]> {
  const all: ThreadEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function completedItems(events: ThreadEvent[]): ThreadItem[] {
  return events.flatMap((e) => (e.type === 'item.completed' ? [e.item] : []));
}

/** Codex processes whose command line names `dir` (the SDK passes it as `--cd <dir>`). */
async function codexProcessesIn(dir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes('codex') && line.includes(dir));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

beforeAll(async () => {
  // Needs NODE_OPTIONS=--experimental-vm-modules; see loadCodexSdk.
  sdk = await loadCodexSdk();
  model = await ScriptedModelServer.start();
  cleanups.push(() => model.stop());
  codexEnv = await createCodexTestEnv();
  cleanups.push(() => codexEnv.cleanup());
  codex = new sdk.Codex({ config: model.codexConfig(), env: codexEnv.env });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('exec then say: the command runs in the working directory and the turn completes', async () => {
  const repo = await makeRepo();
  const script = model.script({ when: 'scripted-exec-marker', steps: [exec('echo hello > hello.txt'), say('done')] });

  const { events } = await codex.startThread(threadOptions(repo)).runStreamed('Create hello.txt (scripted-exec-marker)');
  const all = await collect(events);

  expect(await readFile(join(repo, 'hello.txt'), 'utf8')).toBe('hello\n');
  const items = completedItems(all);
  const command = items.find((item): item is CommandExecutionItem => item.type === 'command_execution');
  expect(command).toMatchObject({ status: 'completed', exit_code: 0 });
  expect(command?.command).toContain('echo hello > hello.txt');
  expect(items.at(-1)).toMatchObject({ type: 'agent_message', text: 'done' });
  // No error items: the model slug is one codex has metadata for.
  expect(items.filter((item) => item.type === 'error')).toEqual([]);
  // Two model requests, each reporting 100 in / 20 out.
  expect(all.find((e) => e.type === 'turn.completed')).toEqual({
    type: 'turn.completed',
    usage: { input_tokens: 200, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 40, reasoning_output_tokens: 0 },
  });

  expect(script.requests).toHaveLength(2);
  expect(script.requests[0]?.userText).toContain('Create hello.txt (scripted-exec-marker)');
  // The command's result went back to the model.
  const output = script.requests[1]?.input.find((item) => item.type === 'function_call_output');
  expect(output?.output).toEqual(expect.stringContaining('Process exited with code 0'));
  // The provider has no env_key, so codex sends no credentials.
  expect(script.requests[0]?.headers.authorization).toBeUndefined();
});

test('httpError fails the turn on the first request (retries are off)', async () => {
  const repo = await makeRepo();
  const serverError = model.script({ when: 'scripted-500-marker', steps: [httpError(500)] });
  await expect(codex.startThread(threadOptions(repo)).run('fail please (scripted-500-marker)')).rejects.toThrow(
    /high demand/, // codex replaces a 500's body with a generic message
  );
  expect(serverError.requests).toHaveLength(1);

  // A 4xx is never retried, and its body becomes the error message.
  const badRequest = model.script({
    when: 'scripted-400-marker',
    steps: [httpError(400, { error: { message: 'scripted bad request', type: 'invalid_request_error' } })],
  });
  await expect(codex.startThread(threadOptions(repo)).run('fail please (scripted-400-marker)')).rejects.toThrow(/scripted bad request/);
  expect(badRequest.requests).toHaveLength(1);
});

test('hang then abort: the turn ends and no codex process is left in the working directory', async () => {
  const repo = await makeRepo();
  const script = model.script({ when: 'scripted-hang-marker', steps: [hang()] });
  const controller = new AbortController();

  const run = codex.startThread(threadOptions(repo)).run('wait forever (scripted-hang-marker)', { signal: controller.signal });
  const settled = run.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  const [request] = await script.waitForRequests(1);
  if (request === undefined) throw new Error('the model received no request');
  expect(request.state).toBe('hanging');
  expect(await codexProcessesIn(repo)).not.toEqual([]);

  controller.abort();
  const outcome = await settled;
  // Node's AbortError comes from outside jest's realm, so `toBeInstanceOf(Error)` would fail.
  expect(outcome).toMatchObject({ name: 'AbortError' });
  expect(await waitUntil(async () => (await codexProcessesIn(repo)).length === 0, 5_000)).toBe(true);
  expect(await waitUntil(() => request.state === 'client-closed', 5_000)).toBe(true);
});

test('release answers a hanging request and the turn completes', async () => {
  const repo = await makeRepo();
  const script = model.script({ when: 'scripted-release-marker', steps: [hang(say('released at last'))] });
  const run = codex.startThread(threadOptions(repo)).run('wait (scripted-release-marker)');
  await script.waitForRequests(1);
  expect(script.release()).toBe(1);
  expect((await run).finalResponse).toBe('released at last');
});

test('resumeThread: the second turn sends the earlier conversation and the new message', async () => {
  const repo = await makeRepo();
  const script = model.script({ when: 'scripted-resume-marker', steps: [say('first answer'), say('second answer')] });

  const first = codex.startThread(threadOptions(repo));
  expect((await first.run('First prompt (scripted-resume-marker)')).finalResponse).toBe('first answer');
  const threadId = first.id;
  expect(threadId).toEqual(expect.any(String));

  const second = await codex.resumeThread(threadId ?? '', threadOptions(repo)).run('Second prompt, no marker here');
  expect(second.finalResponse).toBe('second answer');
  // codex reports usage cumulated over the whole thread, not per turn: 2 requests so far.
  expect(second.usage).toMatchObject({ input_tokens: 200, output_tokens: 40 });

  expect(script.requests).toHaveLength(2);
  const resumed = script.requests[1]!;
  expect(resumed.userMessages.filter((m) => m.includes('prompt'))).toEqual(['First prompt (scripted-resume-marker)', 'Second prompt, no marker here']);
  const assistant = resumed.input.filter((item) => item.type === 'message' && item.role === 'assistant');
  expect(assistant.map((item) => JSON.stringify(item.content))).toEqual([expect.stringContaining('first answer')]);
});

test('parallel threads in different directories each follow their own script', async () => {
  const [repoA, repoB] = await Promise.all([makeRepo(), makeRepo()]);
  const a = model.script({ when: 'scripted-par-A', steps: [exec('sleep 0.3; echo from-A > a.txt'), say('A done')] });
  const b = model.script({ when: 'scripted-par-B', steps: [exec('echo from-B > b.txt'), say('B done')] });

  const [turnA, turnB] = await Promise.all([
    codex.startThread(threadOptions(repoA)).run('Task scripted-par-A'),
    codex.startThread(threadOptions(repoB)).run('Task scripted-par-B'),
  ]);

  expect([turnA.finalResponse, turnB.finalResponse]).toEqual(['A done', 'B done']);
  expect(await readFile(join(repoA, 'a.txt'), 'utf8')).toBe('from-A\n');
  expect(await readFile(join(repoB, 'b.txt'), 'utf8')).toBe('from-B\n');
  await expect(readFile(join(repoA, 'b.txt'))).rejects.toThrow();
  await expect(readFile(join(repoB, 'a.txt'))).rejects.toThrow();
  expect([a.requests.length, b.requests.length]).toEqual([2, 2]);
});

test('a CODEX_HOME config.toml alone points codex at the server', async () => {
  const env = await createCodexTestEnv({ config: model.codexConfig() });
  try {
    const repo = await makeRepo();
    model.script({ when: 'scripted-config-file-marker', steps: [say('configured by file')] });
    const plain = new sdk.Codex({ env: env.env });
    const turn = await plain.startThread(threadOptions(repo)).run('hi (scripted-config-file-marker)');
    expect(turn.finalResponse).toBe('configured by file');
  } finally {
    await env.cleanup();
  }
});

test('disconnect mid-stream fails the turn without reconnecting (stream retries are off)', async () => {
  const repo = await makeRepo();
  const script = model.script({ when: 'scripted-disconnect-marker', steps: [disconnect()] });
  await expect(codex.startThread(threadOptions(repo)).run('drop it (scripted-disconnect-marker)')).rejects.toThrow();
  expect(script.requests).toHaveLength(1);
});

test('nothing unexpected reached the server', () => {
  expect(model.requests.filter((r) => r.servedAs === 'not-found' || r.servedAs === 'default')).toEqual([]);
});

describe('ScriptedModelServer at the HTTP level', () => {
  let server: ScriptedModelServer;
  const logged: string[] = [];

  beforeEach(async () => {
    logged.length = 0;
    server = await ScriptedModelServer.start({ log: (message) => logged.push(message) });
  });
  afterEach(() => server.stop());

  /** Posts a minimal Responses request whose only user message is `prompt`. */
  function post(prompt: string, signal?: AbortSignal): Promise<Response> {
    const body = { model: 'm', stream: true, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] }] };
    return fetch(`${server.baseUrl}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  }

  /** The `data` payloads of an SSE body. */
  async function sse(response: Response): Promise<Array<Record<string, unknown>>> {
    const text = await response.text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
  }

  test('serves steps in order, then the exhausted reply; unmatched requests get the default reply', async () => {
    server.script({ when: /job-\d+/, steps: [exec('true')], exhaustedReply: 'all done' });

    const first = await sse(await post('run job-1'));
    expect(first.map((e) => e.type)).toEqual(['response.created', 'response.output_item.done', 'response.completed']);
    expect(first[1]?.item).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"true"}' });
    expect(first[2]?.response).toMatchObject({ status: 'completed', usage: SCRIPTED_USAGE });

    const second = await sse(await post('run job-1 again'));
    expect(second[1]?.item).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'all done' }] });

    const other = await sse(await post('something else'));
    expect(other[1]?.item).toMatchObject({ content: [{ text: 'ok' }] });
    expect(server.requests.map((r) => [r.script, r.servedAs, r.state])).toEqual([
      ['/job-\\d+/', 'exec', 'answered'],
      ['/job-\\d+/', 'exhausted', 'answered'],
      [undefined, 'default', 'answered'],
    ]);
    expect(server.unmatchedRequests.map((r) => r.userText)).toEqual(['something else']);
    expect(logged).toEqual([expect.stringContaining('no script matches request #3')]);
  });

  test('other endpoints: /models lists nothing, anything else is a logged 404', async () => {
    expect(await (await fetch(`${server.baseUrl}/models`)).json()).toEqual({ object: 'list', data: [], models: [] });
    expect((await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(server.requests.map((r) => r.servedAs)).toEqual(['models', 'not-found']);
    expect(logged).toEqual([expect.stringContaining('unexpected POST /v1/chat/completions')]);
  });

  test('delay holds the answer back', async () => {
    server.script({ when: 'slow', steps: [delay(300, say('late'))] });
    const started = Date.now();
    const events = await sse(await post('slow'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(events[1]?.item).toMatchObject({ content: [{ text: 'late' }] });
  });

  test('stop() ends hanging requests and resolves promptly', async () => {
    const script = server.script({ when: 'stuck', steps: [hang()] });
    const response = await post('stuck'); // headers arrive: the stream is open
    expect(response.status).toBe(200);
    const body = response.text();
    await script.waitForRequests(1);
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(body).rejects.toThrow();
    expect(script.requests[0]?.state).toBe('server-stopped');
  });

  test('reset() forgets scripts and recordings', async () => {
    server.script({ when: 'x', steps: [say('scripted')] });
    await sse(await post('x'));
    server.reset();
    expect(server.requests).toEqual([]);
    const events = await sse(await post('x'));
    expect(events[1]?.item).toMatchObject({ content: [{ text: 'ok' }] });
  });
});
