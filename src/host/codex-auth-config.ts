import { CodexAuthSchema, type CodexAuth, type CodexAuthStatus, type PlatoConfigStatus } from '../contracts/config';
import { describeIssues } from '../contracts/validation';
import { defaultConfigPath, defaultSecretsPath } from './plato-home';
import { writePrivateJsonFile } from './private-json-file';
import { OPENAI_API_KEY_SECRET_REF } from './credentials';
import { ConfigError, readConfigDocument, type ConfigDocument } from './runner-config';
import { deleteSecret, readSecrets, setSecret } from './secrets-file';

export interface ConfigPaths {
  configPath?: string;
  secretsPath?: string;
}

/** Account metadata Codex reported after a ChatGPT login; the tokens stay in Codex's auth store. */
export interface ChatGptAccount {
  email?: string;
  planType?: string;
}

function resolvePaths(paths: ConfigPaths): Required<ConfigPaths> {
  return { configPath: paths.configPath ?? defaultConfigPath(), secretsPath: paths.secretsPath ?? defaultSecretsPath() };
}

function codexAuthOf(document: ConfigDocument, configPath: string): CodexAuth | undefined {
  if (document.codexAuth === undefined) return undefined;
  const parsed = CodexAuthSchema.safeParse(document.codexAuth);
  if (!parsed.success) throw new ConfigError(`Config file ${configPath} is invalid: codexAuth.${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Replaces `codexAuth` (or removes it) and keeps every other section of the config file. */
async function writeCodexAuth(configPath: string, document: ConfigDocument, codexAuth: CodexAuth | undefined): Promise<void> {
  const sections = { ...document };
  delete sections.codexAuth;
  await writePrivateJsonFile(configPath, codexAuth === undefined ? sections : { ...sections, codexAuth });
}

/** `codex-runner config status`: which credential is configured; of a key only its last four characters. */
export async function getCodexAuthStatus(paths: ConfigPaths = {}): Promise<PlatoConfigStatus> {
  const { configPath, secretsPath } = resolvePaths(paths);
  const auth = codexAuthOf(await readConfigDocument(configPath, true), configPath);
  let codexAuth: CodexAuthStatus;
  if (auth?.provider === 'openai_api_key') {
    const secretRef = auth.openAIApiKeySecretRef ?? OPENAI_API_KEY_SECRET_REF;
    const key = (await readSecrets(secretsPath))[secretRef];
    codexAuth = { configured: key !== undefined, provider: 'openai_api_key', openAIApiKey: { secretRef, last4: key ? key.slice(-4) : '' } };
  } else if (auth?.provider === 'chatgpt_oauth') {
    const configured = Boolean(auth.chatGptOAuth?.accountId);
    codexAuth = { configured, provider: 'chatgpt_oauth', chatGptOAuth: { ...auth.chatGptOAuth, configured } };
  } else {
    codexAuth = { configured: false };
  }
  return { configPath, codexAuth };
}

/**
 * Stores an OpenAI API key in the secrets file and makes it the configured credential (replacing
 * a ChatGPT login). The key never enters the config file.
 * @throws Error `OpenAI API key cannot be empty`
 */
export async function setOpenAIApiKey(apiKey: string, paths: ConfigPaths = {}): Promise<PlatoConfigStatus> {
  const key = apiKey.trim();
  if (key === '') throw new Error('OpenAI API key cannot be empty');
  const { configPath, secretsPath } = resolvePaths(paths);
  // Read (and so check) the config file first: a broken one must not leave a stray secret behind.
  const document = await readConfigDocument(configPath, true);
  await setSecret(OPENAI_API_KEY_SECRET_REF, key, secretsPath);
  await writeCodexAuth(configPath, document, { provider: 'openai_api_key', openAIApiKeySecretRef: OPENAI_API_KEY_SECRET_REF });
  return getCodexAuthStatus(paths);
}

/**
 * Records a ChatGPT login: account metadata only (Codex keeps and refreshes the tokens). An API
 * key already in the secrets file is left there, as in the reference system.
 */
export async function setChatGptAccount(account: ChatGptAccount, paths: ConfigPaths = {}): Promise<PlatoConfigStatus> {
  const email = account.email?.trim() || undefined;
  const planType = account.planType?.trim() || undefined;
  const { configPath } = resolvePaths(paths);
  await writeCodexAuth(configPath, await readConfigDocument(configPath, true), {
    provider: 'chatgpt_oauth',
    chatGptOAuth: {
      accountId: email ?? 'codex-chatgpt',
      ...(email ? { email } : {}),
      ...(planType ? { planType } : {}),
      tokenSource: 'codex_app_server',
      updatedAt: new Date().toISOString(),
    },
  });
  return getCodexAuthStatus(paths);
}

/** Forgets whichever credential is configured; an API key is deleted from the secrets file too. */
export async function clearCodexAuth(paths: ConfigPaths = {}): Promise<PlatoConfigStatus> {
  const { configPath, secretsPath } = resolvePaths(paths);
  const document = await readConfigDocument(configPath, true);
  if (document.codexAuth === undefined) return getCodexAuthStatus(paths);
  // Tolerate a damaged record here: clearing it is how an operator repairs it.
  const auth = CodexAuthSchema.safeParse(document.codexAuth);
  if (auth.success && auth.data.provider === 'openai_api_key') {
    await deleteSecret(auth.data.openAIApiKeySecretRef ?? OPENAI_API_KEY_SECRET_REF, secretsPath);
  }
  await writeCodexAuth(configPath, document, undefined);
  return getCodexAuthStatus(paths);
}
