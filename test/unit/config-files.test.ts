import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearCodexAuth, getCodexAuthStatus, setChatGptAccount, setOpenAIApiKey } from '../../src/host/codex-auth-config';

let dir: string;
let paths: { configPath: string; secretsPath: string };

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'codex-config-'));
  paths = { configPath: path.join(dir, 'config.json'), secretsPath: path.join(dir, 'secrets.json') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as unknown;

describe('the config and secrets files', () => {
  it('reports an API key that the secrets file lost as not configured, with no last four', async () => {
    await writeFile(paths.configPath, JSON.stringify({ codexAuth: { provider: 'openai_api_key', openAIApiKeySecretRef: 'codex.openai_api_key' } }));
    expect(await getCodexAuthStatus(paths)).toEqual({
      configPath: paths.configPath,
      codexAuth: { configured: false, provider: 'openai_api_key', openAIApiKey: { secretRef: 'codex.openai_api_key', last4: '' } },
    });
  });

  it('records a ChatGPT login as account metadata, keeping an API key already in the secrets file', async () => {
    await setOpenAIApiKey('sk-1234', paths);
    const status = await setChatGptAccount({ email: ' dev@example.com ', planType: '' }, paths);
    expect(status.codexAuth).toEqual({
      configured: true,
      provider: 'chatgpt_oauth',
      chatGptOAuth: {
        accountId: 'dev@example.com',
        email: 'dev@example.com',
        tokenSource: 'codex_app_server',
        updatedAt: expect.any(String),
        configured: true,
      },
    });
    expect(await readJson(paths.secretsPath)).toEqual({ 'codex.openai_api_key': 'sk-1234' });
  });

  it('names an account without an email "codex-chatgpt", as the reference does', async () => {
    const status = await setChatGptAccount({}, paths);
    expect(status.codexAuth).toMatchObject({ provider: 'chatgpt_oauth', chatGptOAuth: { accountId: 'codex-chatgpt' } });
  });

  it('tightens a config file with a looser mode when it rewrites it', async () => {
    await writeFile(paths.configPath, '{"codex":{}}', { mode: 0o644 });
    await setOpenAIApiKey('sk-1234', paths);
    expect(statSync(paths.configPath).mode & 0o777).toBe(0o600);
  });

  it('clears a damaged credential record, which is how an operator repairs it', async () => {
    await writeFile(paths.configPath, JSON.stringify({ codexAuth: { provider: 'something-else' }, codex: { model: 'm' } }));
    await expect(getCodexAuthStatus(paths)).rejects.toThrow(`Config file ${paths.configPath} is invalid: codexAuth.provider`);
    expect((await clearCodexAuth(paths)).codexAuth).toEqual({ configured: false });
    expect(await readJson(paths.configPath)).toEqual({ codex: { model: 'm' } });
  });

  it('does not create files when there is nothing to clear', async () => {
    expect((await clearCodexAuth(paths)).codexAuth).toEqual({ configured: false });
    expect(existsSync(paths.configPath)).toBe(false);
  });

  it('refuses a config file that is not JSON instead of overwriting it', async () => {
    await writeFile(paths.configPath, '{ not json');
    await expect(setOpenAIApiKey('sk-1234', paths)).rejects.toThrow(`Config file ${paths.configPath} is not valid JSON`);
    expect(await readFile(paths.configPath, 'utf8')).toBe('{ not json');
    expect(existsSync(paths.secretsPath)).toBe(false);
  });
});
