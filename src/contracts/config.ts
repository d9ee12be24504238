import { z } from 'zod';
import { CodexTaskOptionsSchema } from './task';

type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };
const TomlValueSchema: z.ZodType<TomlValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.array(TomlValueSchema), z.record(z.string(), TomlValueSchema)]),
);

/**
 * The `codex` section of the runner config file: defaults for every task on this worker host.
 * `config` holds raw Codex config overrides (`--config key=value`), which is how operators point
 * Codex at Azure, a local OSS provider, or the tests' scripted model.
 */
export const CodexConfigSchema = CodexTaskOptionsSchema.extend({
  config: z.record(z.string(), TomlValueSchema).optional(),
  codexPath: z.string().min(1).optional(),
}).strict();
export type CodexConfig = z.infer<typeof CodexConfigSchema>;

/**
 * Which credential Codex uses, as the reference system records it. The key itself lives in
 * the secrets file under `openAIApiKeySecretRef`; ChatGPT tokens live in Codex's own auth store.
 */
export const ChatGptOAuthConfigSchema = z.object({
  accountId: z.string(),
  email: z.string().optional(),
  planType: z.string().optional(),
  tokenSource: z.literal('codex_app_server'),
  updatedAt: z.string(),
});
export type ChatGptOAuthConfig = z.infer<typeof ChatGptOAuthConfigSchema>;

export const CodexAuthSchema = z
  .object({
    provider: z.enum(['openai_api_key', 'chatgpt_oauth']),
    openAIApiKeySecretRef: z.string().optional(),
    chatGptOAuth: ChatGptOAuthConfigSchema.optional(),
  })
  .loose();
export type CodexAuth = z.infer<typeof CodexAuthSchema>;

/**
 * Which credential is configured, as `codex-runner config status` reports it (the reference
 * system's `CodexAuthStatus`). Of an API key only its last four characters are shown.
 */
export type CodexAuthStatus =
  | { configured: false; provider?: undefined }
  | { configured: boolean; provider: 'openai_api_key'; openAIApiKey: { secretRef: string; last4: string } }
  | { configured: boolean; provider: 'chatgpt_oauth'; chatGptOAuth: Partial<ChatGptOAuthConfig> & { configured: boolean } };

/** The output of `codex-runner config status` and of every other `config` command. */
export interface PlatoConfigStatus {
  configPath: string;
  codexAuth: CodexAuthStatus;
}

/** `$PLATO_HOME/config.json`. Unknown top-level sections are kept for other Plato tools. */
export const RunnerConfigSchema = z
  .object({
    codex: CodexConfigSchema.optional(),
    codexAuth: CodexAuthSchema.optional(),
  })
  .loose();
export type RunnerConfig = z.infer<typeof RunnerConfigSchema>;
