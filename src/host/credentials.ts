import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunnerConfig } from '../contracts/config';
import { codexHomeFor } from './plato-home';
import { readSecrets } from './secrets-file';

/** The secret reference the reference system stores the OpenAI API key under. */
export const OPENAI_API_KEY_SECRET_REF = 'codex.openai_api_key';

/**
 * The OpenAI API key this host is configured with, read on the worker host at the moment a turn
 * starts codex. With ChatGPT login (or nothing configured) there is no key: Codex's own auth
 * store under CODEX_HOME is the one source of truth.
 */
export async function resolveOpenAIApiKey(config: RunnerConfig, secretsPath?: string): Promise<string | undefined> {
  const auth = config.codexAuth;
  if (auth?.provider !== 'openai_api_key') return undefined;
  const secrets = await readSecrets(secretsPath);
  const key = secrets[auth.openAIApiKeySecretRef ?? OPENAI_API_KEY_SECRET_REF]?.trim();
  return key === '' ? undefined : key;
}

/** Whether codex will have a credential for its model provider, and what to do if not. */
export interface CredentialCheck {
  ok: boolean;
  /** Names the credential, never its value. */
  detail: string;
  fix?: string;
}

export interface CredentialCheckInput {
  config: RunnerConfig;
  /** What {@link resolveOpenAIApiKey} returned on this host. */
  apiKey: string | undefined;
  /** The environment codex runs with (CODEX_HOME, provider key variables). */
  env: NodeJS.ProcessEnv;
}

const SET_KEY = '`codex-runner config set-openai-key --api-key-env OPENAI_API_KEY` (or --api-key-stdin)';
const LOGIN = '`codex-runner config auth-chatgpt` (add --device-code on a host without a browser)';

/**
 * Checks that codex will find a credential, the way codex looks for one: a custom model provider
 * from the config's `codex.config` brings its own (`env_key`, or none for a local server);
 * the OpenAI provider uses the configured API key (handed to codex as `CODEX_API_KEY`) or the
 * ChatGPT login in Codex's auth store (`$CODEX_HOME/auth.json`, which only codex reads).
 */
export function checkCodexCredentials({ config, apiKey, env }: CredentialCheckInput): CredentialCheck {
  const overrides = config.codex?.config ?? {};
  const providerId = typeof overrides.model_provider === 'string' ? overrides.model_provider : 'openai';
  const providers = overrides.model_providers;
  const provider = typeof providers === 'object' && !Array.isArray(providers) ? providers[providerId] : undefined;
  if (providerId !== 'openai' && typeof provider === 'object' && !Array.isArray(provider)) {
    const envKey = provider.env_key;
    if (typeof envKey !== 'string') return { ok: true, detail: `model provider "${providerId}" from the config file (no credential needed)` };
    if (env[envKey] || (envKey === 'CODEX_API_KEY' && apiKey)) {
      return { ok: true, detail: `model provider "${providerId}" with its key from ${envKey}` };
    }
    return {
      ok: false,
      detail: `model provider "${providerId}" reads its key from the environment variable ${envKey}, which the worker does not have`,
      fix: `Set ${envKey} in the worker's environment${envKey === 'CODEX_API_KEY' ? `, or run ${SET_KEY}` : ''}`,
    };
  }
  if (providerId !== 'openai') return { ok: true, detail: `built-in model provider "${providerId}"` };

  const codexHome = codexHomeFor(env);
  const codexLogin = path.join(codexHome, 'auth.json');
  const auth = config.codexAuth;
  if (auth?.provider === 'openai_api_key') {
    if (apiKey) return { ok: true, detail: 'OpenAI API key from the secrets file' };
    return { ok: false, detail: 'the config file selects an OpenAI API key, but the secrets file holds none', fix: `Run ${SET_KEY}` };
  }
  if (auth?.provider === 'chatgpt_oauth') {
    const who = [auth.chatGptOAuth?.email, auth.chatGptOAuth?.planType].filter(Boolean).join(', ');
    if (existsSync(codexLogin)) return { ok: true, detail: `ChatGPT login${who ? ` (${who})` : ''} in Codex's auth store ${codexHome}` };
    return {
      ok: false,
      detail: `the config file records a ChatGPT login${who ? ` (${who})` : ''}, but Codex's auth store ${codexLogin} does not exist`,
      fix: `Run ${LOGIN} with the same CODEX_HOME as the worker (${codexHome})`,
    };
  }
  if (existsSync(codexLogin)) return { ok: true, detail: `Codex's own login in ${codexHome}` };
  // codex exec reads CODEX_API_KEY (not OPENAI_API_KEY) from its environment.
  if (env.CODEX_API_KEY) return { ok: true, detail: "CODEX_API_KEY from the worker's environment" };
  return { ok: false, detail: 'no OpenAI API key or ChatGPT login is configured', fix: `Run ${SET_KEY}, or ${LOGIN}` };
}
