import type { CodexBinary } from './codex-binary';
import { CodexAppServer } from './codex-app-server';

/** How the operator finishes the login, known as soon as codex has started it. */
export type ChatGptLoginStarted =
  { type: 'browser'; loginId: string; authUrl: string } | { type: 'device_code'; loginId: string; verificationUrl: string; userCode: string };

export interface ChatGptLoginCompleted {
  loginId: string;
  success: boolean;
  error: string | null;
}

/** What codex reports about its account after the login (`account/read`). */
export interface CodexAccountSnapshot {
  authMode: 'apikey' | 'chatgpt' | null;
  email?: string;
  planType?: string;
}

export interface ChatGptLoginOptions {
  /** `browser` (default): codex listens on localhost for the redirect; `device_code`: a code to type in on any device. */
  mode?: 'browser' | 'device_code';
  /** How long the operator has to finish (default 300 000 ms, as in the reference system). */
  timeoutMs?: number;
  /** Called with the URL or code the moment codex returns it. */
  onLoginStarted?: (started: ChatGptLoginStarted) => void;
  /** The environment codex runs with; its CODEX_HOME is where codex stores the tokens. */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_LOGIN_TIMEOUT_MS = 300_000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringField = (value: Json, ...keys: string[]): string | undefined => {
  for (const key of keys) if (typeof value[key] === 'string' && value[key] !== '') return value[key];
  return undefined;
};

function toLoginStarted(result: unknown): ChatGptLoginStarted {
  if (!isObject(result) || typeof result.loginId !== 'string') throw new Error('Codex app-server returned an invalid login start response');
  if (result.type === 'chatgpt' && typeof result.authUrl === 'string') {
    return { type: 'browser', loginId: result.loginId, authUrl: result.authUrl };
  }
  if (result.type === 'chatgptDeviceCode' && typeof result.verificationUrl === 'string' && typeof result.userCode === 'string') {
    return { type: 'device_code', loginId: result.loginId, verificationUrl: result.verificationUrl, userCode: result.userCode };
  }
  throw new Error('Codex app-server returned an unsupported ChatGPT login response');
}

function toLoginCompleted(params: unknown): ChatGptLoginCompleted {
  if (!isObject(params) || typeof params.loginId !== 'string' || typeof params.success !== 'boolean') {
    throw new Error('Codex app-server returned an invalid login completion notification');
  }
  return { loginId: params.loginId, success: params.success, error: typeof params.error === 'string' ? params.error : null };
}

/** Normalises `account/read` (`{account: {type, email, planType}}`) as the reference system does. */
export function toAccountSnapshot(result: unknown): CodexAccountSnapshot {
  const account = isObject(result) && isObject(result.account) ? result.account : isObject(result) ? result : {};
  const mode = stringField(account, 'type', 'authMode');
  const email = stringField(account, 'email', 'chatGptEmail', 'accountEmail');
  const planType = stringField(account, 'planType', 'chatGptPlanType');
  return {
    authMode: mode === 'apiKey' || mode === 'apikey' ? 'apikey' : mode === 'chatgpt' ? 'chatgpt' : null,
    ...(email ? { email } : {}),
    ...(planType ? { planType } : {}),
  };
}

/**
 * Signs codex in with a ChatGPT account through the real `codex app-server`: `account/login/start`
 * (`chatgpt` or `chatgptDeviceCode`), then waits for `account/login/completed` of that login and
 * reads the account with a token refresh. Codex stores and refreshes the tokens in its own auth
 * store; the caller gets only account metadata.
 * @throws Error when codex cannot start the login (e.g. `failed to request device code` without
 *   network), the operator does not finish in time (`Timed out waiting for account/login/completed`),
 *   the login fails, or codex does not end up in ChatGPT mode.
 */
export async function loginWithChatGpt(
  binary: CodexBinary,
  options: ChatGptLoginOptions = {},
): Promise<{ started: ChatGptLoginStarted; completed: ChatGptLoginCompleted; account: CodexAccountSnapshot }> {
  const server = await CodexAppServer.start(binary, options.env);
  try {
    const type = options.mode === 'device_code' ? 'chatgptDeviceCode' : 'chatgpt';
    let started: ChatGptLoginStarted;
    try {
      started = toLoginStarted(await server.request('account/login/start', { type }));
    } catch (error) {
      const message = (error as Error).message;
      const hint = message.includes('error sending request') ? ' (this host could not reach the login server: check its network, or set HTTPS_PROXY)' : '';
      throw new Error(`ChatGPT login could not start: ${message}${hint}`, { cause: error });
    }
    options.onLoginStarted?.(started);
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    let completion: unknown;
    try {
      // A completion that arrived meanwhile is kept by the server object, so waiting now is not late.
      completion = await server.waitForNotification<unknown>(
        'account/login/completed',
        (params) => isObject(params) && params.loginId === started.loginId,
        timeoutMs,
      );
    } catch (error) {
      const message = (error as Error).message;
      if (!message.startsWith('Timed out')) throw error;
      throw new Error(
        `${message}: the ChatGPT login was not finished within ${Math.round(timeoutMs / 1000)} s. Run the command again (--timeout-ms sets the wait).`,
        {
          cause: error,
        },
      );
    }
    const completed = toLoginCompleted(completion);
    if (!completed.success) throw new Error(completed.error || 'ChatGPT OAuth login failed');
    const account = toAccountSnapshot(await server.request('account/read', { refreshToken: true }));
    if (account.authMode !== 'chatgpt') throw new Error('ChatGPT OAuth login completed but Codex did not report chatgpt auth mode');
    return { started, completed, account };
  } finally {
    server.close();
  }
}
