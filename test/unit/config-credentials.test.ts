import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunnerConfig } from '../../src/contracts/config';
import { toAccountSnapshot } from '../../src/host/chatgpt-login';
import { checkCodexCredentials } from '../../src/host/credentials';

let codexHome: string;
let loggedInHome: string;

beforeAll(async () => {
  codexHome = await mkdtemp(path.join(tmpdir(), 'codex-home-'));
  loggedInHome = await mkdtemp(path.join(tmpdir(), 'codex-home-login-'));
  await writeFile(path.join(loggedInHome, 'auth.json'), '{}');
});

afterAll(async () => {
  await Promise.all([rm(codexHome, { recursive: true, force: true }), rm(loggedInHome, { recursive: true, force: true })]);
});

const chatGpt: RunnerConfig = {
  codexAuth: {
    provider: 'chatgpt_oauth',
    chatGptOAuth: {
      accountId: 'dev@example.com',
      email: 'dev@example.com',
      planType: 'plus',
      tokenSource: 'codex_app_server',
      updatedAt: '2026-01-01T00:00:00Z',
    },
  },
};
const apiKeyAuth: RunnerConfig = { codexAuth: { provider: 'openai_api_key', openAIApiKeySecretRef: 'codex.openai_api_key' } };
const provider = (entry: Record<string, string>): RunnerConfig => ({
  codex: { config: { model_provider: 'azure', model_providers: { azure: { name: 'Azure', base_url: 'https://x', ...entry } } } },
});

describe('checking that codex will find a credential', () => {
  it('accepts a configured API key, naming it but not showing it', () => {
    const check = checkCodexCredentials({ config: apiKeyAuth, apiKey: 'sk-secret', env: { CODEX_HOME: codexHome } });
    expect(check).toEqual({ ok: true, detail: 'OpenAI API key from the secrets file' });
  });

  it('refuses an API key the config names but the secrets file lacks', () => {
    expect(checkCodexCredentials({ config: apiKeyAuth, apiKey: undefined, env: { CODEX_HOME: codexHome } })).toMatchObject({
      ok: false,
      detail: 'the config file selects an OpenAI API key, but the secrets file holds none',
      fix: expect.stringContaining('codex-runner config set-openai-key'),
    });
  });

  it("accepts a ChatGPT login only where codex's auth store has it", () => {
    expect(checkCodexCredentials({ config: chatGpt, apiKey: undefined, env: { CODEX_HOME: loggedInHome } })).toEqual({
      ok: true,
      detail: `ChatGPT login (dev@example.com, plus) in Codex's auth store ${loggedInHome}`,
    });
    expect(checkCodexCredentials({ config: chatGpt, apiKey: undefined, env: { CODEX_HOME: codexHome } })).toMatchObject({
      ok: false,
      fix: `Run \`codex-runner config auth-chatgpt\` (add --device-code on a host without a browser) with the same CODEX_HOME as the worker (${codexHome})`,
    });
  });

  it('defaults CODEX_HOME to ~/.codex of the environment it is given', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'home-'));
    await mkdir(path.join(home, '.codex'));
    await writeFile(path.join(home, '.codex', 'auth.json'), '{}');
    expect(checkCodexCredentials({ config: {}, apiKey: undefined, env: { HOME: home } })).toEqual({
      ok: true,
      detail: `Codex's own login in ${path.join(home, '.codex')}`,
    });
    await rm(home, { recursive: true, force: true });
  });

  it('accepts CODEX_API_KEY from the environment, which codex exec reads, but not OPENAI_API_KEY, which it does not', () => {
    expect(checkCodexCredentials({ config: {}, apiKey: undefined, env: { CODEX_HOME: codexHome, CODEX_API_KEY: 'k' } }).ok).toBe(true);
    expect(checkCodexCredentials({ config: {}, apiKey: undefined, env: { CODEX_HOME: codexHome, OPENAI_API_KEY: 'k' } })).toMatchObject({
      ok: false,
      detail: 'no OpenAI API key or ChatGPT login is configured',
    });
  });

  it("checks a custom provider's env_key variable instead of OpenAI credentials", () => {
    expect(checkCodexCredentials({ config: provider({ env_key: 'AZURE_KEY' }), apiKey: undefined, env: { AZURE_KEY: 'k' } })).toEqual({
      ok: true,
      detail: 'model provider "azure" with its key from AZURE_KEY',
    });
    expect(checkCodexCredentials({ config: provider({ env_key: 'AZURE_KEY' }), apiKey: undefined, env: {} })).toEqual({
      ok: false,
      detail: 'model provider "azure" reads its key from the environment variable AZURE_KEY, which the worker does not have',
      fix: "Set AZURE_KEY in the worker's environment",
    });
    // The configured API key reaches codex as CODEX_API_KEY, so a provider reading that is satisfied.
    expect(checkCodexCredentials({ config: { ...apiKeyAuth, ...provider({ env_key: 'CODEX_API_KEY' }) }, apiKey: 'sk', env: {} }).ok).toBe(true);
    expect(checkCodexCredentials({ config: provider({}), apiKey: undefined, env: {} })).toEqual({
      ok: true,
      detail: 'model provider "azure" from the config file (no credential needed)',
    });
  });

  it('trusts a built-in provider other than OpenAI to bring its own', () => {
    const config: RunnerConfig = { codex: { config: { model_provider: 'ollama' } } };
    expect(checkCodexCredentials({ config, apiKey: undefined, env: {} })).toEqual({ ok: true, detail: 'built-in model provider "ollama"' });
  });
});

describe("reading codex's account after a login (account/read)", () => {
  it('normalises the shapes the reference system accepts', () => {
    expect(toAccountSnapshot({ account: { type: 'chatgpt', email: 'a@b.c', planType: 'plus' }, requiresOpenaiAuth: true })).toEqual({
      authMode: 'chatgpt',
      email: 'a@b.c',
      planType: 'plus',
    });
    expect(toAccountSnapshot({ authMode: 'chatgpt', chatGptEmail: 'a@b.c', chatGptPlanType: 'pro' })).toEqual({
      authMode: 'chatgpt',
      email: 'a@b.c',
      planType: 'pro',
    });
    expect(toAccountSnapshot({ account: { type: 'apiKey' } })).toEqual({ authMode: 'apikey' });
    expect(toAccountSnapshot({ account: null, requiresOpenaiAuth: true })).toEqual({ authMode: null });
  });
});
