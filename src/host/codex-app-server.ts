import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { codexProcessEnv, type CodexBinary } from './codex-binary';
import { VERSION } from '../version';

/** Identifies this program to `codex app-server` (it becomes the login's `originator`). */
const CLIENT_INFO = { name: 'codex-runner', title: 'codex-runner', version: VERSION };

interface PendingRequest {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

interface NotificationWaiter {
  method: string;
  predicate: (params: unknown) => boolean;
  resolve: (params: unknown) => void;
  reject: (error: Error) => void;
}

interface ServerMessage {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message?: string };
}

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;

/**
 * A JSON-RPC session with `codex app-server --listen stdio://`: one JSON object per line each way,
 * requests `{id, method, params}` with increasing numeric ids, notifications `{method, params}`
 * (the wire format the reference system speaks; codex omits `"jsonrpc"`). The app-server is the
 * real codex, with its own auth store under CODEX_HOME; it exits when its stdin closes, so it
 * cannot outlive this process.
 */
export class CodexAppServer {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly waiters = new Set<NotificationWaiter>();
  /** Notifications nobody waited for yet, so a waiter registered late still sees them. */
  private readonly unclaimed: { method: string; params: unknown }[] = [];
  private failure: Error | undefined;
  private stderrTail = '';
  private closing = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => this.receive(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2_000);
    });
    child.once('error', (error) => this.fail(new Error(`Could not start codex app-server: ${error.message}`)));
    // Writing to an app-server that has exited fails with EPIPE; its exit, which follows, says why.
    child.stdin.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      const stderr = this.stderrTail.replace(ANSI_ESCAPES, '').trim();
      this.fail(new Error(`Codex app-server exited with ${signal ? `signal ${signal}` : `code ${code}`}${stderr ? `: ${stderr}` : ''}`));
    });
  }

  /**
   * Starts the app-server and performs the handshake (`initialize`, then `initialized`).
   * @param env the environment codex runs with; its CODEX_HOME is the auth store it uses.
   */
  static async start(binary: CodexBinary, env: NodeJS.ProcessEnv = process.env): Promise<CodexAppServer> {
    const child = spawn(binary.path, ['app-server', '--listen', 'stdio://'], { env: codexProcessEnv(binary, env), stdio: 'pipe' });
    const server = new CodexAppServer(child);
    try {
      await server.request('initialize', { clientInfo: CLIENT_INFO });
      server.notify('initialized');
    } catch (error) {
      server.close();
      throw error;
    }
    return server;
  }

  /** Sends a request; resolves with its `result`, rejects with the server's error message. */
  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as T), reject });
      try {
        this.send({ id, method, ...(params === undefined ? {} : { params }) });
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  notify(method: string, params?: unknown): void {
    this.send({ method, ...(params === undefined ? {} : { params }) });
  }

  /**
   * Resolves with the params of the first notification `method` whose params satisfy `predicate`.
   * @throws Error `Timed out waiting for <method>` after `timeoutMs`, or the transport's failure.
   */
  waitForNotification<T = unknown>(method: string, predicate: (params: T) => boolean, timeoutMs: number): Promise<T> {
    const match = (params: unknown) => predicate(params as T);
    const seen = this.unclaimed.findIndex((n) => n.method === method && match(n.params));
    if (seen >= 0) return Promise.resolve(this.unclaimed.splice(seen, 1)[0]!.params as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const waiter: NotificationWaiter = {
        method,
        predicate: match,
        resolve: (params) => {
          clearTimeout(timer);
          resolve(params as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`Timed out waiting for ${method}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Ends the app-server (closing its stdin is enough; a kill makes sure). Idempotent. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.child.stdin.end();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    this.fail(new Error('Codex app-server transport is closed'));
  }

  private send(message: Record<string, unknown>): void {
    if (this.failure || this.closing) throw this.failure ?? new Error('Codex app-server transport is closed');
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  private receive(line: string): void {
    if (line.trim() === '') return;
    let message: ServerMessage;
    try {
      message = JSON.parse(line) as ServerMessage;
    } catch {
      this.fail(new Error(`Codex app-server emitted invalid JSON: ${line}`));
      return;
    }
    if (typeof message.id === 'number' && message.method === undefined) {
      const request = this.pending.get(message.id);
      if (request === undefined) return;
      this.pending.delete(message.id);
      if (message.error) request.reject(new Error(message.error.message || 'Codex app-server request failed'));
      else request.resolve(message.result);
      return;
    }
    if (typeof message.method !== 'string' || message.id !== undefined) return; // a server-to-client request: none is expected during login
    for (const waiter of this.waiters) {
      if (waiter.method === message.method && waiter.predicate(message.params)) {
        this.waiters.delete(waiter);
        waiter.resolve(message.params);
        return;
      }
    }
    this.unclaimed.push({ method: message.method, params: message.params });
    if (this.unclaimed.length > 100) this.unclaimed.shift();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const request of this.pending.values()) request.reject(this.failure);
    this.pending.clear();
    for (const waiter of this.waiters) waiter.reject(this.failure);
    this.waiters.clear();
  }
}
