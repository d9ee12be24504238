import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { createCodexTestEnv, type CodexTestEnv } from '../support/codex-env';
import { runCli, type CliRun } from '../support/runner-harness';
import { startTemporalDevServer, type TemporalDevServer } from '../support/temporal-dev-server';

interface DoctorReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

// A namespace without codex-runner's search attributes, as on an existing cluster.
let server: TemporalDevServer;
let codexEnv: CodexTestEnv;
let home: string;

beforeAll(async () => {
  [server, codexEnv] = await Promise.all([startTemporalDevServer({ searchAttributes: {} }), createCodexTestEnv()]);
  home = path.join(codexEnv.root, 'plato-home');
});

afterAll(async () => {
  await Promise.all([server?.dispose(), codexEnv?.cleanup()]);
});

function doctor(args: string[] = []): Promise<CliRun> {
  return runCli(['doctor', ...args], {
    env: { ...codexEnv.env, PLATO_HOME: home, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
  });
}

const check = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

it('prints the `temporal operator search-attribute create` commands for the missing search attributes', async () => {
  const run = await doctor();
  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`FAIL  search attributes: missing in namespace default: ${CUSTOM_SEARCH_ATTRIBUTES.map((a) => a.name).join(', ')}`);
  for (const { name, type } of CUSTOM_SEARCH_ATTRIBUTES) {
    expect(run.stdout).toContain(`        temporal operator search-attribute create --namespace default --name ${name} --type ${type}\n`);
  }
});

it('passes that check once the printed commands have run', async () => {
  for (const { name, type } of CUSTOM_SEARCH_ATTRIBUTES) {
    const created = await server.cli(['operator', 'search-attribute', 'create', '--namespace', 'default', '--name', name, '--type', type]);
    expect(created.code).toBe(0);
  }
  const report = JSON.parse((await doctor(['--json'])).stdout) as DoctorReport;
  expect(check(report, 'search attributes')).toMatchObject({ ok: true });
});

it('names the codex binary it checked, and tells a host without a credential how to add one', async () => {
  const run = await doctor(['--json']);
  const report = JSON.parse(run.stdout) as DoctorReport;
  expect(check(report, 'codex')).toMatchObject({ ok: true, detail: expect.stringMatching(/^codex 0\.163\.0 at \S+\/bin\/codex \(bundled\)$/) });
  expect(check(report, 'credentials')).toEqual({
    name: 'credentials',
    ok: false,
    detail: 'no OpenAI API key or ChatGPT login is configured',
    fix: 'Run `codex-runner config set-openai-key --api-key-env OPENAI_API_KEY` (or --api-key-stdin), or `codex-runner config auth-chatgpt` (add --device-code on a host without a browser)',
  });
  expect(run.code).toBe(1);
});

it('passes with an API key set through the CLI, and flags a secrets file others can read', async () => {
  const set = await runCli(['config', 'set-openai-key', '--api-key', 'sk-doctor-test-1234'], { env: { ...codexEnv.env, PLATO_HOME: home } });
  expect(set.code).toBe(0);
  const ready = JSON.parse((await doctor(['--json'])).stdout) as DoctorReport;
  expect(ready).toMatchObject({ ok: true });
  expect(check(ready, 'credentials')).toMatchObject({ ok: true, detail: 'OpenAI API key from the secrets file' });

  await chmod(path.join(home, 'secrets.json'), 0o644);
  const loose = JSON.parse((await doctor(['--json'])).stdout) as DoctorReport;
  expect(check(loose, 'secrets')).toEqual({
    name: 'secrets',
    ok: false,
    detail: `${path.join(home, 'secrets.json')} is readable by other users (mode 644)`,
    fix: `chmod 600 ${path.join(home, 'secrets.json')}`,
  });
});

it('says how to get a codex when the configured one is missing', async () => {
  const configPath = path.join(codexEnv.root, 'doctor-config', 'config.json');
  await mkdir(path.dirname(configPath), { recursive: true });
  await writeFile(configPath, JSON.stringify({ codex: { codexPath: '/nonexistent/codex' } }));
  const report = JSON.parse((await doctor(['--json', '--config-path', configPath])).stdout) as DoctorReport;
  expect(check(report, 'codex')).toMatchObject({
    ok: false,
    detail: 'The codex binary /nonexistent/codex does not exist (codex.codexPath in the config file).',
    fix: expect.stringContaining('`codex-runner runtime install`'),
  });
});
