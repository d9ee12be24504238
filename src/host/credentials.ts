import { readFile } from 'node:fs/promises';
import type { RunnerConfig } from '../contracts/config';
import { ConfigError } from './runner-config';
import { defaultSecretsPath } from './plato-home';

/** The secret reference the reference system stores the OpenAI API key under. */
export const OPENAI_API_KEY_SECRET_REF = 'codex.openai_api_key';

/** Reads the flat `{ ref: value }` secrets file; a missing file holds no secrets. */
export async function readSecrets(secretsPath = defaultSecretsPath()): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(secretsPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read secrets file ${secretsPath}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    // The parse error could quote the file, and the file holds secrets: say only where it is.
    throw new ConfigError(`Secrets file ${secretsPath} is not valid JSON`);
  }
}

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
