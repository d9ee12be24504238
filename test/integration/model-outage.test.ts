import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { findCodexProcessesIn } from '../../src/activities/orphaned-codex';
import { exec, hang, httpError, say } from '../../src/scripted-model/scripted-model-server';
import { eventually, RunnerHarness } from '../support/runner-harness';

// A turn that makes no progress is ended after the inactivity timeout (5 s here, 10 min by
// default) and, like a model that answers 429 or 5xx, retried on the same thread while the
// outage window lasts; then the task fails with the reason. A permanent failure fails at once.
let harness: RunnerHarness;
let repo: string;

beforeAll(async () => {
  harness = await RunnerHarness.start();
  repo = await harness.makeRepo();
  const configPath = path.join(harness.codexEnv.root, 'outage-config.json');
  await writeFile(configPath, JSON.stringify({ codex: { config: harness.model.codexConfig(), turnInactivityTimeout: '5s', outageWindow: '1m' } }));
  await harness.startWorker(['--config-path', configPath], { harnessConfig: false });
});

afterAll(async () => {
  await harness?.stop();
});

const eventsOf = (taskId: string) => harness.client.listEvents(taskId);

it('ends a turn whose model never answers, and retries it on the same thread', async () => {
  const script = harness.model.script({ when: 'silent-once', steps: [hang(), exec('echo ok > ok.txt'), say('done after the silence')] });
  await harness.client.startTask({ taskId: 'silent-once', repoPath: repo, prompt: 'Write ok.txt (silent-once)' });
  const task = await harness.client.waitForTask('silent-once');
  expect(task).toMatchObject({ state: 'completed', finalMessage: 'done after the silence', filesChanged: ['ok.txt'] });

  const events = await eventsOf('silent-once');
  const exited = events.find((event) => event.type === 'session.exited' && event.exitCode === 1);
  expect(exited?.message).toBe('Codex reported nothing for 5 s (codex.turnInactivityTimeout), so the turn was ended');
  // (A loaded machine can take a retried codex longer than the timeout to start, and retry again.)
  const [retrying] = events.filter((event) => event.type === 'session.retrying');
  expect(retrying).toEqual(
    expect.objectContaining({
      errorCode: 'CODEX_TURN_STALLED',
      message:
        'Codex reported nothing for 5 s (codex.turnInactivityTimeout), so the turn was ended. Retry 1 on the same thread in 500 ms, waiting out the outage for up to 60 s',
    }),
  );
  // The retry continued the thread: its request holds the first prompt and says why it was cut off.
  const [, retried] = script.requests;
  expect(retried?.userText).toContain('Write ok.txt (silent-once)');
  expect(retried?.userMessages.at(-1)).toMatch(/^Your previous turn was cut off \(Codex reported nothing for 5 s/);
  expect(await findCodexProcessesIn(task.worktreePath!)).toEqual([]);
  await harness.recordHistory('task-outage-waited-out', 'silent-once');
});

it('waits out a rate limit on the same thread', async () => {
  const limited = httpError(429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } });
  harness.model.script({ when: 'rate-limited', steps: [limited, limited, exec('echo ok > ok.txt'), say('done after the rate limit')] });
  await harness.client.startTask({ taskId: 'rate-limited', repoPath: repo, prompt: 'Write ok.txt (rate-limited)' });
  const task = await harness.client.waitForTask('rate-limited');
  expect(task).toMatchObject({ state: 'completed', finalMessage: 'done after the rate limit' });
  const retrying = (await eventsOf('rate-limited')).filter((event) => event.type === 'session.retrying');
  expect(retrying.map((event) => [event.errorCode, event.message?.match(/Retry \d+ on the same thread in \d+ m?s/)?.[0]])).toEqual([
    ['CODEX_MODEL_UNAVAILABLE', 'Retry 1 on the same thread in 500 ms'],
    ['CODEX_MODEL_UNAVAILABLE', 'Retry 2 on the same thread in 1 s'],
  ]);
  expect(await simpleGit(repo).show([`plato/task-rate-limited:ok.txt`])).toBe('ok\n');
});

it('rides out a model that answers 503 for 40 s, on the same thread', async () => {
  // Every request of the task is refused until 40 s after its first; then the model answers.
  let outageEnds: number | undefined;
  const unavailable = httpError(503, { error: { message: 'The server is overloaded', type: 'server_error' } });
  const refused = harness.model.script({
    when: (request) => request.userText.includes('overloaded-503') && Date.now() < (outageEnds ??= Date.now() + 40_000),
    steps: Array.from({ length: 40 }, () => unavailable),
  });
  const answered = harness.model.script({ when: 'overloaded-503', steps: [exec('echo ok > ok.txt'), say('done after the outage')] });
  // A 3-minute window: retries after 1.5, 3, 6, 12, 24 s, the fifth one after the outage.
  await harness.client.startTask({ taskId: 'overloaded', repoPath: repo, prompt: 'Write ok.txt (overloaded-503)', codex: { outageWindow: '3m' } });
  const task = await harness.client.waitForTask('overloaded');
  expect(task).toMatchObject({ state: 'completed', finalMessage: 'done after the outage', filesChanged: ['ok.txt'] });

  expect(refused.requests.length).toBeGreaterThanOrEqual(3);
  expect(answered.requests[0]!.receivedAt - refused.requests[0]!.receivedAt).toBeGreaterThanOrEqual(40_000);
  const retrying = (await eventsOf('overloaded')).filter((event) => event.type === 'session.retrying');
  expect(retrying).toHaveLength(refused.requests.length);
  expect(new Set(retrying.map((event) => event.errorCode))).toEqual(new Set(['CODEX_MODEL_UNAVAILABLE']));
  // One thread throughout: every turn resumed it, and the answered request holds the first prompt.
  const { sessions } = await harness.client.getTaskStatus('overloaded');
  expect(new Set(sessions.map((session) => session.threadId))).toEqual(new Set([task.threadId]));
  expect(answered.requests[0]!.userText).toContain('Write ok.txt (overloaded-503)');
});

it('fails with the reason once the outage window has passed', async () => {
  harness.model.script({ when: 'always-silent', steps: Array.from({ length: 10 }, () => hang()) });
  await harness.client.startTask({ taskId: 'always-silent', repoPath: repo, prompt: 'Never answered (always-silent)', codex: { outageWindow: '8s' } });
  const task = await harness.client.waitForTask('always-silent');
  expect(task.state).toBe('failed');
  expect(task.failure).toEqual({
    code: 'CODEX_TURN_STALLED',
    message: expect.stringMatching(
      /^Codex reported nothing for 5 s \(codex\.turnInactivityTimeout\), so the turn was ended \(retried \d time\(s\) over \d+ s; outage window 8 s\)$/,
    ),
  });
  const retries = Number(/retried (\d)/.exec(task.failure!.message)![1]);
  expect(retries).toBeGreaterThanOrEqual(1);
  const types = (await eventsOf('always-silent')).map((event) => event.type);
  expect(types.filter((type) => type === 'session.retrying')).toHaveLength(retries);
  expect(types.at(-1)).toBe('task.failed');
  await harness.recordHistory('task-outage-gave-up', 'always-silent');
});

it('lets an operator interrupt a task that waits out an outage, and resume it', async () => {
  harness.model.script({ when: 'interrupted-outage', steps: [hang(), exec('echo ok > ok.txt'), say('done after the resume')] });
  // A 4-hour window waits 2 minutes before its first retry: the interrupt must end that wait
  // (the CLI's interrupt waits 60 s for the task to show interrupted).
  await harness.client.startTask({ taskId: 'interrupted-outage', repoPath: repo, prompt: 'Wait (interrupted-outage)', codex: { outageWindow: '4h' } });
  await eventually(async () => (await eventsOf('interrupted-outage')).some((event) => event.type === 'session.retrying'), 30_000, 'the retry');
  expect((await harness.cli(['interrupt', 'interrupted-outage'])).code).toBe(0);
  expect((await harness.client.getTask('interrupted-outage')).state).toBe('interrupted');
  await harness.client.resume('interrupted-outage', { message: 'Go on' });
  expect(await harness.client.waitForTask('interrupted-outage')).toMatchObject({ state: 'completed', finalMessage: 'done after the resume' });
});

it('fails at once when the model refuses for good (401)', async () => {
  harness.model.script({
    when: 'unauthorized',
    steps: [httpError(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } })],
  });
  await harness.client.startTask({ taskId: 'unauthorized', repoPath: repo, prompt: 'Refused (unauthorized)' });
  const task = await harness.client.waitForTask('unauthorized');
  expect(task.failure).toEqual({ code: 'CODEX_TURN_FAILED', message: expect.stringContaining('401 Unauthorized: Incorrect API key provided') });
  const events = await eventsOf('unauthorized');
  expect(events.some((event) => event.type === 'session.retrying')).toBe(false);
  // What codex reported going wrong, as the reference's session.output on stderr, before the turn's exit.
  const output = events.filter((event) => event.type === 'session.output');
  expect(output.length).toBeGreaterThan(0);
  expect(output.at(-1)).toMatchObject({ stream: 'stderr', message: expect.stringContaining('401 Unauthorized: Incorrect API key provided'), attempt: 1 });
  const types = events.map((event) => event.type);
  expect(types.lastIndexOf('session.output')).toBeLessThan(types.indexOf('session.exited'));
  // The stalled turn's end was the runner's doing, not Codex's output.
  expect((await eventsOf('silent-once')).filter((event) => event.type === 'session.output')).toEqual([]);
});
