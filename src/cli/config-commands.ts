import path from 'node:path';
import { Command } from 'commander';
import { ValidationError } from '../client/errors';
import type { PlatoConfigStatus } from '../contracts/config';
import type { ChatGptLoginStarted } from '../host/chatgpt-login';
import type { ConfigPaths } from '../host/codex-auth-config';
import { codexHomeFor, defaultSecretsPath } from '../host/plato-home';
import { integer } from './common';
import { readStdin } from './input-files';
import { printJson, printJsonLine, type CliIO } from './output';

interface PathFlags {
  configPath?: string;
  secretsPath?: string;
  json?: boolean;
}

function configPaths(flags: PathFlags): ConfigPaths {
  return {
    ...(flags.configPath ? { configPath: path.resolve(flags.configPath) } : {}),
    ...(flags.secretsPath ? { secretsPath: path.resolve(flags.secretsPath) } : {}),
  };
}

function withPathOptions(command: Command): Command {
  return command
    .option('--config-path <file>', 'config file (default: $PLATO_HOME/config.json)')
    .option('--secrets-path <file>', 'secrets file (default: $PLATO_HOME/secrets.json)')
    .option('--json', 'print JSON');
}

/** The status as a person reads it: which credential, never more of a key than its last four characters. */
export function formatConfigStatus(status: PlatoConfigStatus, secretsPath: string): string {
  const auth = status.codexAuth;
  let credential: string;
  if (auth.provider === 'openai_api_key') {
    credential = auth.configured
      ? `OpenAI API key ending in ${auth.openAIApiKey.last4} (secret ${auth.openAIApiKey.secretRef} in ${secretsPath})`
      : `OpenAI API key selected, but ${secretsPath} holds no secret ${auth.openAIApiKey.secretRef}: run codex-runner config set-openai-key`;
  } else if (auth.provider === 'chatgpt_oauth') {
    const who = [auth.chatGptOAuth.email, auth.chatGptOAuth.planType && `plan ${auth.chatGptOAuth.planType}`].filter(Boolean).join(', ');
    credential = `ChatGPT login${who ? ` (${who})` : ''}; Codex keeps the tokens in its auth store (${codexHomeFor()})`;
  } else {
    credential = 'not configured: run codex-runner config set-openai-key or codex-runner config auth-chatgpt';
  }
  return `config file  ${status.configPath}\ncodex auth   ${credential}\n`;
}

function describeLoginStart(started: ChatGptLoginStarted, timeoutMs: number): string {
  const wait = `Waiting up to ${Math.round(timeoutMs / 1000)} s for the login to finish…\n`;
  if (started.type === 'device_code') {
    return `On any device, open ${started.verificationUrl} and enter the code ${started.userCode}\n${wait}`;
  }
  return `Open this URL in a browser on this host to sign in with ChatGPT (on a remote host, use --device-code instead):\n` + `  ${started.authUrl}\n${wait}`;
}

/**
 * The key `set-openai-key` was given, by precedence stdin > environment variable > flag (as the
 * reference system). A flag is the least safe way: the key is visible in the process list.
 */
async function apiKeyFrom(flags: { apiKeyStdin?: boolean; apiKeyEnv?: string; apiKey?: string }): Promise<string> {
  if (flags.apiKeyStdin) {
    const key = (await readStdin()).trim();
    if (key === '') throw new ValidationError('config set-openai-key received an empty API key from stdin');
    return key;
  }
  if (flags.apiKeyEnv !== undefined) {
    const key = process.env[flags.apiKeyEnv]?.trim();
    if (!key) throw new ValidationError(`Environment variable ${flags.apiKeyEnv} does not contain an OpenAI API key`);
    return key;
  }
  if (flags.apiKey !== undefined) {
    if (flags.apiKey.trim() === '') throw new ValidationError('OpenAI API key cannot be empty');
    return flags.apiKey;
  }
  throw new ValidationError('config set-openai-key requires --api-key-stdin, --api-key-env <name>, or --api-key');
}

/**
 * `codex-runner config status | set-openai-key | clear-openai-key | auth-chatgpt`: the credential
 * codex uses on this host, in the reference system's files (`config.json` names it, the API key
 * itself is in `secrets.json`, both mode 0600; ChatGPT tokens stay in Codex's auth store).
 */
export function registerConfigCommands(program: Command, io: CliIO): void {
  const config = program
    .command('config')
    .description("This host's Codex credential: an OpenAI API key or a ChatGPT login")
    .argument('[subcommand]')
    .action(() => {
      throw new ValidationError('config requires a subcommand: status, set-openai-key, clear-openai-key, or auth-chatgpt');
    });

  const printStatus = (flags: PathFlags, status: PlatoConfigStatus, headline?: string) => {
    if (flags.json) return printJson(io, status);
    io.stdout(`${headline ? `${headline}\n` : ''}${formatConfigStatus(status, configPaths(flags).secretsPath ?? defaultSecretsPath())}`);
  };

  // The config files are read and written by modules each action loads, so that --help does not wait for them.
  const auth = () => import('../host/codex-auth-config.js');

  withPathOptions(config.command('status').description('Show which credential is configured')).action(async (flags: PathFlags) => {
    printStatus(flags, await (await auth()).getCodexAuthStatus(configPaths(flags)));
  });

  withPathOptions(
    config
      .command('set-openai-key')
      .description('Store an OpenAI API key in the secrets file and use it for Codex')
      .option('--api-key-stdin', 'read the key from stdin (preferred)')
      .option('--api-key-env <name>', 'read the key from this environment variable')
      .option('--api-key <key>', 'the key itself (visible in the process list)'),
  ).action(async (flags: PathFlags & { apiKeyStdin?: boolean; apiKeyEnv?: string; apiKey?: string }) => {
    const status = await (await auth()).setOpenAIApiKey(await apiKeyFrom(flags), configPaths(flags));
    printStatus(flags, status, 'Stored the OpenAI API key.');
  });

  withPathOptions(config.command('clear-openai-key').description('Forget the configured credential (an API key, or the record of a ChatGPT login)')).action(
    async (flags: PathFlags) => {
      const { clearCodexAuth, getCodexAuthStatus } = await auth();
      const before = await getCodexAuthStatus(configPaths(flags));
      const status = await clearCodexAuth(configPaths(flags));
      const note =
        before.codexAuth.provider === 'chatgpt_oauth' ? ` Codex itself stays signed in to ChatGPT in ${codexHomeFor()} until \`codex logout\` there.` : '';
      printStatus(flags, status, `Cleared the Codex credential.${note}`);
    },
  );

  withPathOptions(
    config
      .command('auth-chatgpt')
      .description('Sign codex in with a ChatGPT account (through `codex app-server`); codex keeps the tokens')
      .option('--device-code', 'sign in with a code on any device instead of a browser on this host')
      .option('--timeout-ms <n>', 'how long to wait for the login to finish', integer('timeout-ms', 1), 300_000)
      .option('--codex-path <path>', 'codex binary to run (default: the one sessions on this host run)'),
  ).action(async (flags: PathFlags & { deviceCode?: boolean; timeoutMs: number; codexPath?: string }) => {
    const [{ loginWithChatGpt }, { setChatGptAccount }, { resolveCodexBinary }, { loadRunnerConfig }] = await Promise.all([
      import('../host/chatgpt-login.js'),
      auth(),
      import('../host/codex-binary.js'),
      import('../host/runner-config.js'),
    ]);
    const paths = configPaths(flags);
    const binary = resolveCodexBinary(
      flags.codexPath === undefined ? (await loadRunnerConfig(paths.configPath, true)).codex?.codexPath : path.resolve(flags.codexPath),
    );
    const { account } = await loginWithChatGpt(binary, {
      mode: flags.deviceCode ? 'device_code' : 'browser',
      timeoutMs: flags.timeoutMs,
      onLoginStarted: (login) => {
        if (flags.json) printJsonLine(io, { event: 'chatgpt_login_started', login });
        else io.stdout(describeLoginStart(login, flags.timeoutMs));
      },
    });
    const status = await setChatGptAccount({ email: account.email, planType: account.planType }, paths);
    // With --json the login is a stream: the line printed when it started, then this one.
    if (flags.json) return printJsonLine(io, status);
    printStatus(flags, status, 'Signed in with ChatGPT.');
  });
}
