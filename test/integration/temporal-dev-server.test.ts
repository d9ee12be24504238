/**
 * Proves the integration-test Temporal setup: the TypeScript dev-server helper and temporal-dev.sh
 * both give a server with codex-runner's search attributes, durable state and clean shutdown.
 */
import { Client, Connection } from '@temporalio/client';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CODEX_SEARCH_ATTRIBUTES,
  getFreePort,
  resolveTemporalCli,
  runCommand,
  SERVER_TUNING_ARGS,
  startTemporalDevServer,
  type CliResult,
  type TemporalDevServer,
} from '../support/temporal-dev-server';
import { isRunning } from '../support/process-tree';

const THIRTY_DAYS_SECONDS = 30 * 24 * 3600;
const EXPECTED_INDEXED_TYPES: Record<string, string> = {
  CodexTaskState: 'INDEXED_VALUE_TYPE_KEYWORD',
  CodexParentTaskId: 'INDEXED_VALUE_TYPE_KEYWORD',
  CodexRepoPath: 'INDEXED_VALUE_TYPE_KEYWORD',
  CodexPriority: 'INDEXED_VALUE_TYPE_INT',
  CodexHost: 'INDEXED_VALUE_TYPE_KEYWORD',
};

function expectOk(result: CliResult): string {
  if (result.code !== 0) {
    throw new Error(`exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result.stdout;
}

function retentionSeconds(describeJson: string): number {
  const parsed = JSON.parse(describeJson) as { config?: { workflowExecutionRetentionTtl?: string } };
  const ttl = parsed.config?.workflowExecutionRetentionTtl ?? '';
  const match = /^(\d+)s$/.exec(ttl);
  if (match === null) throw new Error(`unexpected retention ${JSON.stringify(ttl)}`);
  return Number(match[1]);
}

function customAttributes(listJson: string): Record<string, string> {
  return (JSON.parse(listJson) as { customAttributes?: Record<string, string> }).customAttributes ?? {};
}

describe('startTemporalDevServer', () => {
  let server: TemporalDevServer;

  beforeAll(async () => {
    server = await startTemporalDevServer();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  test('keeps its SQLite database in WAL mode (the same pragmas as temporal-dev.sh)', () => {
    expect(existsSync(`${server.dbFile}-wal`)).toBe(true);
  });

  test('registers the Codex search attributes at start', async () => {
    const attrs = customAttributes(expectOk(await server.cli(['operator', 'search-attribute', 'list', '-o', 'json'])));
    for (const [name, type] of Object.entries(EXPECTED_INDEXED_TYPES)) {
      expect(attrs[name]).toBe(type);
    }
    expect(Object.keys(CODEX_SEARCH_ATTRIBUTES).sort()).toEqual(Object.keys(EXPECTED_INDEXED_TYPES).sort());
  });

  test('accepts visibility queries on the Codex attributes through the SDK client', async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection, namespace: server.namespace });
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: 'CodexTaskState="completed"' })) {
        found.push(wf.workflowId);
      }
      expect(found).toEqual([]);

      const { customAttributes: sdkAttrs } = await connection.operatorService.listSearchAttributes({ namespace: server.namespace });
      expect(Object.keys(sdkAttrs ?? {})).toEqual(expect.arrayContaining(Object.keys(EXPECTED_INDEXED_TYPES)));
    } finally {
      await connection.close();
    }

    expectOk(await server.cli(['workflow', 'list', '--query', 'CodexTaskState="completed"']));
    // Queries really are validated, so the acceptance above means the attribute is known.
    const bogus = await server.cli(['workflow', 'list', '--query', 'NoSuchAttribute="x"']);
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr).toMatch(/NoSuchAttribute/);
  });

  test('restart on the same database keeps namespace settings and workflows', async () => {
    expectOk(await server.cli(['operator', 'namespace', 'update', '-n', server.namespace, '--retention', '720h']));
    expectOk(
      await server.cli([
        'workflow',
        'start',
        '--task-queue',
        'no-worker',
        '--type',
        'Nothing',
        '--workflow-id',
        'survives-restart',
        '--search-attribute',
        'CodexTaskState="running"',
      ]),
    );
    const { address } = server;
    const pidBefore = server.pid;

    await server.restart();

    expect(server.address).toBe(address);
    expect(server.pid).not.toBe(pidBefore);
    const described = expectOk(await server.cli(['operator', 'namespace', 'describe', '-n', server.namespace, '-o', 'json']));
    expect(retentionSeconds(described)).toBe(THIRTY_DAYS_SECONDS);
    const listed = expectOk(await server.cli(['workflow', 'list', '--query', 'CodexTaskState="running"', '-o', 'json']));
    expect(listed).toContain('survives-restart');
    const attrs = customAttributes(expectOk(await server.cli(['operator', 'search-attribute', 'list', '-o', 'json'])));
    expect(Object.keys(attrs)).toEqual(expect.arrayContaining(Object.keys(EXPECTED_INDEXED_TYPES)));
  });

  test('stop kills the server process and frees the address', async () => {
    const pid = server.pid;
    expect(pid).toBeDefined();
    await server.stop();
    expect(server.pid).toBeUndefined();
    expect(isRunning(pid as number)).toBe(false);
    const health = await server.cli(['operator', 'cluster', 'health', '--command-timeout', '2s']);
    expect(health.code).not.toBe(0);
    await server.stop(); // idempotent
  });
});

describe('temporal-dev.sh', () => {
  const script = resolve(__dirname, '..', '..', 'temporal-dev.sh');
  let platoHome: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let uiPort: number;

  const pickPorts = async (): Promise<void> => {
    port = await getFreePort();
    do uiPort = await getFreePort();
    while (uiPort === port);
    env.TEMPORAL_DEV_PORT = String(port);
    env.TEMPORAL_DEV_UI_PORT = String(uiPort);
  };
  const dev = (...args: string[]): Promise<CliResult> => runCommand('bash', [script, ...args], { env, timeoutMs: 90_000 });

  beforeAll(async () => {
    platoHome = mkdtempSync(join(tmpdir(), 'codex-plato-'));
    env = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('TEMPORAL_')) env[k] = v;
    }
    Object.assign(env, {
      PLATO_HOME: platoHome,
      // Reuse the already-installed CLI instead of installing a second copy into the temp home.
      TEMPORAL_CLI: await resolveTemporalCli(),
      TEMPORAL_CONFIG_FILE: join(platoHome, 'no-such-temporal.toml'),
    });
    await pickPorts();
  });

  afterAll(async () => {
    if (env !== undefined) await dev('stop');
    if (platoHome !== undefined) rmSync(platoHome, { recursive: true, force: true });
  });

  test('start (idempotent), status, cli, stop', async () => {
    // The dev server also binds five internal ports the kernel picks; another suite's server
    // can take one of ours in between. That is the only failure retried, on fresh ports.
    let started = await dev('start');
    for (let attempt = 1; attempt < 3 && started.code !== 0 && /address already in use/.test(started.stderr); attempt++) {
      await pickPorts();
      started = await dev('start');
    }
    const first = expectOk(started);
    const address = `127.0.0.1:${port}`;
    const uiUrl = `http://127.0.0.1:${uiPort}`;
    expect(first).toContain(address);
    expect(first).toContain(uiUrl);

    const second = expectOk(await dev('start'));
    expect(second).toMatch(/already running/);
    expect(second).toContain(address);

    expect(expectOk(await dev('status'))).toMatch(/healthy/);
    expect((await fetch(uiUrl)).status).toBe(200);

    const attrs = customAttributes(expectOk(await dev('cli', 'operator', 'search-attribute', 'list', '-o', 'json')));
    for (const [name, type] of Object.entries(EXPECTED_INDEXED_TYPES)) {
      expect(attrs[name]).toBe(type);
    }
    const described = expectOk(await dev('cli', 'operator', 'namespace', 'describe', '-n', 'default', '-o', 'json'));
    expect(retentionSeconds(described)).toBeGreaterThanOrEqual(THIRTY_DAYS_SECONDS);
    expectOk(await dev('cli', 'workflow', 'list', '--query', 'CodexTaskState="completed"'));

    const pid = Number(readFileSync(join(platoHome, 'temporal-dev', 'server.pid'), 'utf8').trim());
    expect(isRunning(pid)).toBe(true);
    // SQLite in WAL mode: the write-ahead log sits beside the database while the server runs.
    expect(existsSync(join(platoHome, 'temporal-dev', 'temporal.db-wal'))).toBe(true);
    // Tuned as the tests' and the benchmark's servers are, with each argument's value.
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const pairs = (words: readonly string[]) => words.slice(0, -1).map((word, i) => `${word} ${words[i + 1]}`);
    for (let i = 0; i < SERVER_TUNING_ARGS.length; i += 2) {
      expect(pairs(commandLine)).toContain(`${SERVER_TUNING_ARGS[i]} ${SERVER_TUNING_ARGS[i + 1]}`);
    }

    expect(expectOk(await dev('stop'))).toMatch(/stopped/);
    expect(isRunning(pid)).toBe(false);
    const status = await dev('status');
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/not running/);
  });
});
