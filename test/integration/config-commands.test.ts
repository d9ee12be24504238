import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { PlatoConfigStatus } from '../../src/contracts/config';
import { ChatGptLoginStandIn } from '../support/chatgpt-login-stand-in';
import { createCodexTestEnv, type CodexTestEnv } from '../support/codex-env';
import { eventually, runCli, type CliRun } from '../support/runner-harness';

const KEY = 'sk-test-0123456789abcdefWXYZ';

let codexEnv: CodexTestEnv;
let home: string;
let testNo = 0;

beforeAll(async () => {
  codexEnv = await createCodexTestEnv();
});

afterAll(async () => {
  await codexEnv?.cleanup();
});

beforeEach(() => {
  // A fresh PLATO_HOME per test: the default config and secrets paths live there.
  home = path.join(codexEnv.root, `plato-home-${++testNo}`);
});

const configFile = () => path.join(home, 'config.json');
const secretsFile = () => path.join(home, 'secrets.json');

function cli(args: string[], extra: { env?: Record<string, string>; input?: string } = {}): Promise<CliRun> {
  return runCli(args, { env: { ...codexEnv.env, PLATO_HOME: home, ...extra.env }, ...(extra.input === undefined ? {} : { input: extra.input }) });
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

const mode = (file: string) => statSync(file).mode & 0o777;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('config status', () => {
  it('says nothing is configured on a new host, as text and as the reference JSON shape', async () => {
    const text = await cli(['config', 'status']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(`config file  ${configFile()}`);
    expect(text.stdout).toContain('codex auth   not configured');

    const json = await cli(['config', 'status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ configPath: configFile(), codexAuth: { configured: false } });
    expect(existsSync(home)).toBe(false);
  });
});

describe('config set-openai-key', () => {
  it('stores the key in secrets.json and names it in config.json, both mode 0600; status shows only its last four characters', async () => {
    const set = await cli(['config', 'set-openai-key', '--api-key-stdin'], { input: `  ${KEY}\n` });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('OpenAI API key ending in WXYZ');
    expect(set.stdout).not.toContain(KEY.slice(0, -4));

    expect(await readJson(secretsFile())).toEqual({ 'codex.openai_api_key': KEY });
    expect(await readJson(configFile())).toEqual({ codexAuth: { provider: 'openai_api_key', openAIApiKeySecretRef: 'codex.openai_api_key' } });
    expect(await readFile(configFile(), 'utf8')).toMatch(/^\{\n {2}"codexAuth": \{\n[\s\S]*\}\n$/);
    expect(mode(secretsFile())).toBe(0o600);
    expect(mode(configFile())).toBe(0o600);

    const status = await cli(['config', 'status', '--json']);
    const parsed = JSON.parse(status.stdout) as PlatoConfigStatus;
    expect(parsed).toEqual({
      configPath: configFile(),
      codexAuth: { configured: true, provider: 'openai_api_key', openAIApiKey: { secretRef: 'codex.openai_api_key', last4: 'WXYZ' } },
    });
    expect(status.stdout).not.toContain(KEY);
  });

  it('keeps every other section of config.json, including the codex defaults', async () => {
    const existing = { codex: { model: 'gpt-5.5', sandboxMode: 'read-only', config: { model_provider: 'azure' } }, otherTool: { x: 1 } };
    await mkdir(home, { recursive: true });
    await writeFile(configFile(), JSON.stringify(existing));
    expect((await cli(['config', 'set-openai-key', '--api-key', KEY])).code).toBe(0);
    expect(await readJson(configFile())).toEqual({ ...existing, codexAuth: { provider: 'openai_api_key', openAIApiKeySecretRef: 'codex.openai_api_key' } });
    expect((await cli(['config', 'clear-openai-key'])).code).toBe(0);
    expect(await readJson(configFile())).toEqual(existing);
  });

  it('takes stdin over an environment variable over the flag', async () => {
    const env = { MY_OPENAI_KEY: 'sk-from-env-ENV1' };
    await cli(['config', 'set-openai-key', '--api-key-stdin', '--api-key-env', 'MY_OPENAI_KEY', '--api-key', 'sk-from-flag-FLG1'], {
      env,
      input: 'sk-from-stdin-STD1',
    });
    expect(await readJson(secretsFile())).toEqual({ 'codex.openai_api_key': 'sk-from-stdin-STD1' });
    await cli(['config', 'set-openai-key', '--api-key-env', 'MY_OPENAI_KEY', '--api-key', 'sk-from-flag-FLG1'], { env });
    expect(await readJson(secretsFile())).toEqual({ 'codex.openai_api_key': 'sk-from-env-ENV1' });
    await cli(['config', 'set-openai-key', '--api-key', 'sk-from-flag-FLG1']);
    expect(await readJson(secretsFile())).toEqual({ 'codex.openai_api_key': 'sk-from-flag-FLG1' });
  });

  it.each([
    [['--api-key-stdin'], { input: ' \n' }, 'config set-openai-key received an empty API key from stdin'],
    [['--api-key-env', 'EMPTY_KEY'], { env: { EMPTY_KEY: '  ' } }, 'Environment variable EMPTY_KEY does not contain an OpenAI API key'],
    [['--api-key-env', 'UNSET_KEY'], {}, 'Environment variable UNSET_KEY does not contain an OpenAI API key'],
    [[], {}, 'config set-openai-key requires --api-key-stdin, --api-key-env <name>, or --api-key'],
    [['--api-key', '   '], {}, 'OpenAI API key cannot be empty'],
  ])('refuses %j with the reference message and writes nothing', async (flags, extra, message) => {
    const run = await cli(['config', 'set-openai-key', ...flags], extra);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toBe(`VALIDATION_FAILED: ${message}\n`);
    expect(existsSync(home)).toBe(false);
  });

  it('writes where --config-path and --secrets-path say, creating the folders', async () => {
    const configPath = path.join(home, 'nested', 'a', 'runner.json');
    const secretsPath = path.join(home, 'nested', 'b', 'keys.json');
    const run = await cli(['config', 'set-openai-key', '--api-key', KEY, '--config-path', configPath, '--secrets-path', secretsPath, '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ configPath, codexAuth: { configured: true } });
    expect(await readJson(secretsPath)).toEqual({ 'codex.openai_api_key': KEY });
    expect([mode(configPath), mode(secretsPath)]).toEqual([0o600, 0o600]);
    expect(existsSync(configFile()) || existsSync(secretsFile())).toBe(false);
  });
});

describe('config clear-openai-key', () => {
  it('deletes the key, and the secrets file once it holds nothing else', async () => {
    await cli(['config', 'set-openai-key', '--api-key', KEY]);
    const cleared = await cli(['config', 'clear-openai-key', '--json']);
    expect(JSON.parse(cleared.stdout)).toEqual({ configPath: configFile(), codexAuth: { configured: false } });
    expect(existsSync(secretsFile())).toBe(false);
    expect(await readJson(configFile())).toEqual({});
  });

  it('keeps other secrets in the file', async () => {
    await mkdir(home, { recursive: true });
    await writeFile(secretsFile(), JSON.stringify({ 'github.token': 'gh-token' }), { mode: 0o600 });
    await cli(['config', 'set-openai-key', '--api-key', KEY]);
    await cli(['config', 'clear-openai-key']);
    expect(await readJson(secretsFile())).toEqual({ 'github.token': 'gh-token' });
  });
});

describe('config without a subcommand', () => {
  it('names the subcommands', async () => {
    const run = await cli(['config']);
    expect(run).toMatchObject({
      code: 2,
      stderr: 'VALIDATION_FAILED: config requires a subcommand: status, set-openai-key, clear-openai-key, or auth-chatgpt\n',
    });
  });
});

describe('config auth-chatgpt, through the real codex app-server', () => {
  // Nothing in this suite may reach OpenAI: a proxy on a closed port catches whatever codex tries.
  const offline = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };

  it('prints the browser login URL as soon as codex has it; stopping there writes nothing and leaves no codex behind', async () => {
    const run = await runCli(['config', 'auth-chatgpt', '--json'], {
      env: { ...codexEnv.env, PLATO_HOME: home, ...offline },
      stopWhen: (stdout) => stdout.includes('"authUrl"') && stdout.trimEnd().endsWith('}'),
    });
    expect(run.code).toBe(-1); // stopped by the test with SIGTERM
    const started = JSON.parse(run.stdout) as { event: string; login: { type: string; loginId: string; authUrl: string } };
    expect(started).toEqual({ event: 'chatgpt_login_started', login: { type: 'browser', loginId: expect.any(String), authUrl: expect.any(String) } });
    const authUrl = new URL(started.login.authUrl);
    expect(authUrl.origin + authUrl.pathname).toBe('https://auth.openai.com/oauth/authorize');
    expect(authUrl.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:1455/auth/callback');
    expect(existsSync(home)).toBe(false);
    // codex's login callback server (port 1455) goes away with the app-server, once its stdin closes.
    await eventually(() => portIsFree(1455), 10_000, 'codex app-server to exit');
  });

  it('writes nothing when the operator does not finish in time', async () => {
    const run = await cli(['config', 'auth-chatgpt', '--timeout-ms', '1500'], { env: offline });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Open this URL in a browser on this host to sign in with ChatGPT[^\n]*\n {2}https:\/\/auth\.openai\.com\/oauth\/authorize\?\S+/);
    expect(run.stderr).toMatch(/^INTERNAL_ERROR: Timed out waiting for account\/login\/completed: the ChatGPT login was not finished within 2 s/);
    expect(existsSync(home)).toBe(false);
  });

  it('fails --device-code without network with a clear message, and writes nothing', async () => {
    const run = await cli(['config', 'auth-chatgpt', '--device-code'], { env: offline });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain('INTERNAL_ERROR: ChatGPT login could not start: failed to request device code');
    expect(run.stderr).toContain('this host could not reach the login server');
    expect(existsSync(home)).toBe(false);
  });

  describe('a device-code login that the operator finishes', () => {
    let standIn: ChatGptLoginStandIn;
    let loginEnv: CodexTestEnv;
    let run: CliRun;

    beforeAll(async () => {
      standIn = await ChatGptLoginStandIn.start({ email: 'dev@example.com', planType: 'plus', accountId: 'acct-123' });
      loginEnv = await createCodexTestEnv({ env: standIn.codexEnv() });
      await writeFile(path.join(loginEnv.codexHome, 'config.toml'), standIn.codexConfigToml());
      home = path.join(loginEnv.root, 'plato-home');
      run = await runCli(['config', 'auth-chatgpt', '--device-code', '--json', '--timeout-ms', '30000'], { env: { ...loginEnv.env, PLATO_HOME: home } });
    });

    afterAll(async () => {
      await standIn?.stop();
      await loginEnv?.cleanup();
    });

    it('prints the code to enter, then the status with the account, as JSON Lines', () => {
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const [started, status, ...more] = run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(more).toEqual([]);
      expect(started).toEqual({
        event: 'chatgpt_login_started',
        login: { type: 'device_code', loginId: expect.any(String), verificationUrl: `${standIn.baseUrl}/codex/device`, userCode: 'TEST-CODE' },
      });
      expect(status).toEqual({
        configPath: path.join(loginEnv.root, 'plato-home', 'config.json'),
        codexAuth: {
          configured: true,
          provider: 'chatgpt_oauth',
          chatGptOAuth: {
            accountId: 'dev@example.com',
            email: 'dev@example.com',
            planType: 'plus',
            tokenSource: 'codex_app_server',
            updatedAt: expect.any(String),
            configured: true,
          },
        },
      });
    });

    it("stores only account metadata; the tokens stay in Codex's auth store", async () => {
      const configText = await readFile(path.join(loginEnv.root, 'plato-home', 'config.json'), 'utf8');
      expect(standIn.issuedTokens.length).toBeGreaterThan(0);
      for (const token of standIn.issuedTokens) expect(configText).not.toContain(token);
      expect(existsSync(path.join(loginEnv.root, 'plato-home', 'secrets.json'))).toBe(false);
      const codexAuth = await readFile(path.join(loginEnv.codexHome, 'auth.json'), 'utf8');
      expect(codexAuth).toContain(standIn.issuedTokens.at(-1));
    });
  });
});
