/**
 * A stand-in for the OpenAI servers codex talks to during a ChatGPT device-code login, so the
 * real `codex app-server` can complete one in a test without any network access.
 *
 * What codex 0.163.0 needs (found by experiment; these are codex internals and may change with
 * the pinned version):
 * - `CODEX_APP_SERVER_LOGIN_ISSUER=<base>` moves the issuer (default https://auth.openai.com):
 *   `POST /api/accounts/deviceauth/usercode` `{client_id}` → `{device_auth_id, user_code, interval}`;
 *   `POST /api/accounts/deviceauth/token` is polled every `interval` s (403 while pending) →
 *   `{authorization_code, code_challenge, code_verifier}`; `POST /oauth/token` (form,
 *   `grant_type=authorization_code`) → `{id_token, access_token, refresh_token}`. The id token is a
 *   JWT codex decodes without checking its signature: `email` and the
 *   `https://api.openai.com/auth` claim (`chatgpt_plan_type`, `chatgpt_account_id`).
 * - `CODEX_REFRESH_TOKEN_URL_OVERRIDE` moves the refresh endpoint (`account/read` with
 *   `refreshToken: true` refreshes: JSON `grant_type=refresh_token`).
 * - `chatgpt_base_url` in CODEX_HOME/config.toml moves the ChatGPT backend. After the token
 *   exchange codex asks `GET <base>/wham/accounts/check` for workspace routing and fails the
 *   login without `{accounts: [{id, workspace_backend_origin: "https://…", account_routing_override}]}`.
 * - `HTTPS_PROXY` pointing at a closed port keeps everything else codex tries (plugins, analytics)
 *   off the internet.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInAccount {
  email: string;
  planType: string;
  accountId: string;
}

const base64Url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT carrying the claims codex reads from a ChatGPT id token. */
function idToken(account: StandInAccount): string {
  const claims = {
    email: account.email,
    exp: Math.floor(Date.now() / 1000) + 3600,
    'https://api.openai.com/auth': { chatgpt_plan_type: account.planType, chatgpt_account_id: account.accountId, chatgpt_user_id: 'user-stand-in' },
  };
  return `${base64Url({ alg: 'none', typ: 'JWT' })}.${base64Url(claims)}.stand-in`;
}

export class ChatGptLoginStandIn {
  /** Tokens handed to codex; tests check none of them reaches the runner's files. */
  readonly issuedTokens: string[] = [];
  private readonly server: Server;

  private constructor(
    readonly account: StandInAccount,
    private pendingPolls: number,
  ) {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const { status, json } = this.answer(req.url ?? '', body);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
  }

  /** Starts on a free port; the first `pendingPolls` device-token polls answer "not yet". */
  static async start(account: StandInAccount, pendingPolls = 1): Promise<ChatGptLoginStandIn> {
    const standIn = new ChatGptLoginStandIn(account, pendingPolls);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Environment for codex: the issuer and refresh endpoint here, the internet unreachable. */
  codexEnv(): Record<string, string> {
    return {
      CODEX_APP_SERVER_LOGIN_ISSUER: this.baseUrl,
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${this.baseUrl}/oauth/token`,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    };
  }

  /** The line for CODEX_HOME/config.toml that moves the ChatGPT backend here. */
  codexConfigToml(): string {
    return `chatgpt_base_url = "${this.baseUrl}/backend-api/"\n`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(url: string, body: string): { status: number; json: unknown } {
    const path = url.split('?')[0]!;
    if (path === '/api/accounts/deviceauth/usercode') return { status: 200, json: { device_auth_id: 'device-auth-1', user_code: 'TEST-CODE', interval: '1' } };
    if (path === '/api/accounts/deviceauth/token') {
      if (this.pendingPolls-- > 0) return { status: 403, json: { error: 'authorization_pending' } };
      return { status: 200, json: { authorization_code: 'code-1', code_challenge: 'challenge', code_verifier: 'verifier' } };
    }
    if (path === '/oauth/token') {
      const refreshing = body.includes('"grant_type":"refresh_token"');
      const tokens = { id_token: idToken(this.account), access_token: idToken(this.account), refresh_token: `refresh-${refreshing ? 2 : 1}` };
      this.issuedTokens.push(tokens.access_token, tokens.refresh_token);
      return { status: 200, json: tokens };
    }
    if (path === '/backend-api/wham/accounts/check') {
      return {
        status: 200,
        json: {
          accounts: [
            {
              id: this.account.accountId,
              name: 'Personal',
              structure: 'personal',
              plan_type: this.account.planType,
              workspace_backend_origin: 'https://chatgpt.com',
              account_routing_override: 'us',
            },
          ],
        },
      };
    }
    return { status: 404, json: { error: 'not found' } };
  }
}
