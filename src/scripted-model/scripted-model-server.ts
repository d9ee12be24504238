/**
 * A scripted stand-in for the OpenAI Responses API, good enough for the real `codex exec` binary
 * (tested with codex 0.163.0) to run whole turns against it without any network access.
 *
 * Tests script what "the model" does as a list of {@link Step}s; each model request codex sends is
 * answered by the next step of the script whose matcher fits that request. Because codex sends the
 * whole conversation (including every user prompt) in each request, matching on a marker in the
 * task's prompt selects the same script for every request of that task, across turns and resumes,
 * while other tasks talk to the same server concurrently.
 *
 * What codex needs from the server (found by experiment against 0.163.0):
 * - Only `POST /v1/responses` (with `stream: true`). It calls no `/models` or other endpoint for a
 *   custom provider; anything else is answered 404 (`GET …/models` with an empty list), recorded and
 *   logged.
 * - An SSE stream: `response.created`, one `response.output_item.done` per output item, then
 *   `response.completed` whose `response.usage` has `input_tokens`, `input_tokens_details`,
 *   `output_tokens`, `output_tokens_details` and `total_tokens`. No `output_item.added` or deltas.
 * - No auth: a provider without `env_key` sends no `Authorization` header, even when
 *   `OPENAI_API_KEY`/`CODEX_API_KEY` are set.
 * - `supports_websockets=false`, or codex first tries a websocket upgrade.
 * - Retries: by default codex retries a 5xx (and a dropped stream) 5 times per request and
 *   reconnects 5 more times on top, i.e. 30 requests over ~25 s before a turn fails. 4xx fails at
 *   once. {@link ScriptedModelServer.codexConfig} sets `request_max_retries=0` and
 *   `stream_max_retries=0` so a scripted error fails the turn on the first request.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/** Options every step accepts. */
export interface StepTiming {
  /** Wait this long before answering (nothing is written until then). */
  delayMs?: number;
}

/** The model calls codex's `exec_command` tool: codex runs `cmd` in a shell in its working directory. */
export interface ExecStep extends StepTiming {
  kind: 'exec';
  cmd: string;
  /** Directory to run in; codex's turn cwd when omitted. */
  workdir?: string;
  /** codex defaults to a login shell (`bash -lc`); `false` runs `bash -c`. */
  login?: boolean;
  /**
   * How long codex waits for the command before telling the model it is still running (codex
   * default 10 000 ms, range 250–30 000). Keep commands shorter than this: a command that outlives
   * it gets no completed `command_execution` item, and codex kills it when the turn ends.
   */
  yieldTimeMs?: number;
}

/** The model answers with a final assistant message, which ends the turn. */
export interface SayStep extends StepTiming {
  kind: 'say';
  text: string;
}

/** The model calls any other function tool codex offered (e.g. `write_stdin`). */
export interface ToolCallStep extends StepTiming {
  kind: 'toolCall';
  name: string;
  arguments: Record<string, unknown>;
  /** The namespace codex offered the tool in (its MCP tools are `mcp__<server>__`). */
  namespace?: string;
}

/**
 * The model searches codex's deferred tools (codex offers an MCP server's tools only through its
 * `tool_search` tool); codex answers in the next request with the matching tools' definitions.
 */
export interface ToolSearchStep extends StepTiming {
  kind: 'toolSearch';
  query: string;
  limit?: number;
}

/** The server answers with an HTTP error instead of a stream. */
export interface HttpErrorStep extends StepTiming {
  kind: 'httpError';
  status: number;
  /** Response body; objects are sent as JSON. Defaults to an OpenAI-style `{ error: {...} }`. */
  body: string | Record<string, unknown>;
}

/**
 * The stream opens (`200`, `response.created`) and then nothing happens, like a model that never
 * finishes. It ends when the client disconnects (abort, codex killed) or when the test calls
 * `release()`, which answers the same request with `then`.
 */
export interface HangStep {
  kind: 'hang';
  then: ReplyStep;
}

/** The stream opens and the connection is then dropped without `response.completed`. */
export interface DisconnectStep extends StepTiming {
  kind: 'disconnect';
}

/** Steps that produce a normal, completed response. */
export type ReplyStep = ExecStep | SayStep | ToolCallStep | ToolSearchStep;
/** One model request's worth of behaviour. */
export type Step = ReplyStep | HttpErrorStep | HangStep | DisconnectStep;

/** Runs `cmd` through codex's `exec_command` tool (one tool call per request). */
export function exec(cmd: string, options: Omit<ExecStep, 'kind' | 'cmd'> = {}): ExecStep {
  return { kind: 'exec', cmd, ...options };
}

/** A final assistant message; ends the turn. */
export function say(text: string, options: StepTiming = {}): SayStep {
  return { kind: 'say', text, ...options };
}

/** A call to any function tool by name, for tools other than `exec_command`. */
export function toolCall(name: string, args: Record<string, unknown>, options: StepTiming & { namespace?: string } = {}): ToolCallStep {
  return { kind: 'toolCall', name, arguments: args, ...options };
}

export function toolSearch(query: string, options: StepTiming & { limit?: number } = {}): ToolSearchStep {
  return { kind: 'toolSearch', query, ...options };
}

/**
 * An HTTP error response. Note codex's handling: 4xx fails the turn at once with the body as the
 * message; 5xx is retried unless the provider's retries are 0 (the {@link ScriptedModelServer.codexConfig}
 * default), and a 500 surfaces as a generic "high demand" message rather than the body.
 */
export function httpError(status: number, body?: string | Record<string, unknown>, options: StepTiming = {}): HttpErrorStep {
  return {
    kind: 'httpError',
    status,
    body: body ?? { error: { message: `scripted HTTP ${status}`, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null } },
    ...options,
  };
}

/** Leaves the request hanging until released (then answered with `then`) or abandoned by the client. */
export function hang(then: ReplyStep = say('released')): HangStep {
  return { kind: 'hang', then };
}

/** Opens the stream, then drops the connection (a network failure mid-response). */
export function disconnect(options: StepTiming = {}): DisconnectStep {
  return { kind: 'disconnect', ...options };
}

/** `step`, answered `ms` later. For {@link hang} the delay applies to the reply sent on release. */
export function delay<S extends Step>(ms: number, step: S): S {
  if (step.kind === 'hang') return { ...step, then: { ...step.then, delayMs: ms } };
  return { ...step, delayMs: ms };
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

/** An item of a Responses request's `input` (only the fields tests usually need are typed). */
export interface ResponseInputItem {
  type: string;
  role?: string;
  content?: unknown;
  name?: string;
  arguments?: string;
  call_id?: string;
  output?: unknown;
  [key: string]: unknown;
}

/** What the server answered a request with. */
export type ServedAs = Step['kind'] | 'default' | 'exhausted' | 'not-found' | 'models' | 'bad-request';

/** How a request ended. */
export type RequestState = 'pending' | 'hanging' | 'answered' | 'client-closed' | 'server-stopped';

/** One request the server received, recorded as it arrives and updated as it is answered. */
export interface RecordedRequest {
  /** 1-based arrival order across the whole server. */
  seq: number;
  method: string;
  /** Path including query string, e.g. `/v1/responses`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw string when it was not JSON; `undefined` when empty. */
  body: unknown;
  /** The Responses `input` items (empty for other endpoints). */
  input: ResponseInputItem[];
  /**
   * Text of every `role: "user"` message, in order: codex's context messages (`<environment_context>`,
   * AGENTS.md instructions when the repo has one) and each turn's prompt.
   */
  userMessages: string[];
  /** `userMessages` joined with newlines: what script matchers are tested against. */
  userText: string;
  /**
   * All text of the input: messages of every role (including codex's long developer
   * instructions), function call arguments and function call outputs, joined with newlines.
   */
  inputText: string;
  /** `Date.now()` on arrival. */
  receivedAt: number;
  /** Name of the script that answered, if any. */
  script?: string;
  servedAs?: ServedAs;
  state: RequestState;
}

// ---------------------------------------------------------------------------------------------
// Usage and config
// ---------------------------------------------------------------------------------------------

/**
 * The usage every completed response reports. codex's `turn.completed` usage is the sum over all
 * model requests of the thread so far (codex 0.163.0 does not reset it per turn, even across
 * `resume` in a new process): after n requests it reports `input_tokens = 100n`,
 * `output_tokens = 20n`, `cached_input_tokens = 0`, `reasoning_output_tokens = 0`.
 */
export const SCRIPTED_USAGE = Object.freeze({
  input_tokens: 100,
  input_tokens_details: Object.freeze({ cached_tokens: 0 }),
  output_tokens: 20,
  output_tokens_details: Object.freeze({ reasoning_tokens: 0 }),
  total_tokens: 120,
});

/**
 * A model slug whose metadata ships inside codex 0.163.0. Any name works, but one codex does not
 * know (e.g. `gpt-5.1-codex`) adds an `error` item ("Model metadata … not found") to every turn.
 */
export const SCRIPTED_MODEL = 'gpt-5.5';

/** Provider id used in {@link ScriptedModelServer.codexConfig}. */
export const SCRIPTED_PROVIDER_ID = 'mock';

/** A codex `--config` value; structurally the SDK's `CodexConfigValue`. */
export type CodexConfigValue = string | number | boolean | CodexConfigValue[] | CodexConfigObject;
/** A codex config object; assignable to the SDK's `CodexOptions['config']`. */
export interface CodexConfigObject {
  [key: string]: CodexConfigValue;
}

export interface CodexConfigOptions {
  /** HTTP retries per model request (codex default 4). Default 0: errors surface on the first request. */
  requestMaxRetries?: number;
  /** Reconnects of a failed stream (codex default 5). Default 0. */
  streamMaxRetries?: number;
  /** How long codex waits on a silent stream before giving up (codex default 300 000). Unset by default. */
  streamIdleTimeoutMs?: number;
  /**
   * Turn off codex features that reach out to the internet on every start even with a custom
   * provider (`features.plugins`: chatgpt.com and api.github.com; `analytics.enabled`:
   * ab.chatgpt.com). Default true.
   */
  offline?: boolean;
  /** Top-level `model`; default {@link SCRIPTED_MODEL}. A thread's `model` option still wins. */
  model?: string;
  /** The provider's id in codex's `model_providers`; default {@link SCRIPTED_PROVIDER_ID}. */
  providerId?: string;
}

// ---------------------------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------------------------

/**
 * Selects requests: a substring or RegExp tested against {@link RecordedRequest.userText}, or a
 * predicate. `userText` also holds codex's `<environment_context>` (cwd, shell, date), so a marker
 * should be something no path contains; matching on a working directory's path instead selects
 * every request of the threads running there.
 */
export type RequestMatcher = string | RegExp | ((request: RecordedRequest) => boolean);

export interface ScriptSpec {
  /** Which requests this script answers. The first registered script that matches wins. */
  when: RequestMatcher;
  /** Served one per matching request, in order, across turns. */
  steps: Step[];
  /** Name used in recordings and logs; defaults to the matcher's text. */
  name?: string;
  /** Final message once the steps are used up. Default `"done"`. */
  exhaustedReply?: string;
}

interface PendingRequest {
  record: RecordedRequest;
  res: ServerResponse;
  handle?: ScriptHandle;
  /** Timer of a delayed answer, cleared when the client goes away. */
  timer?: NodeJS.Timeout;
  /** Set while hanging: answers the request with the hang's `then` step. */
  release?: () => void;
}

function matches(matcher: RequestMatcher, request: RecordedRequest): boolean {
  if (typeof matcher === 'string') return request.userText.includes(matcher);
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0; // a /g or /y RegExp is stateful; every request must be tested afresh
    return matcher.test(request.userText);
  }
  return matcher(request);
}

/** A registered script: what it has served, and control over its hanging requests. */
export class ScriptHandle {
  readonly name: string;
  readonly exhaustedReply: string;
  private readonly steps: Step[];
  private readonly served: RecordedRequest[] = [];
  private readonly waiters = new Set<{ count: number; resolve: () => void; reject: (error: Error) => void }>();

  /** @internal Use {@link ScriptedModelServer.script}. */
  constructor(
    private readonly server: ScriptedModelServer,
    readonly when: RequestMatcher,
    spec: ScriptSpec,
  ) {
    this.steps = [...spec.steps];
    this.name = spec.name ?? (typeof spec.when === 'function' ? 'predicate' : String(spec.when));
    this.exhaustedReply = spec.exhaustedReply ?? 'done';
  }

  /** Requests this script answered (or is answering), in order. */
  get requests(): readonly RecordedRequest[] {
    return this.served;
  }

  /** Steps not yet served. */
  get remainingSteps(): number {
    return this.steps.length;
  }

  /** Answers this script's hanging requests with their `then` step. Returns how many were released. */
  release(): number {
    return this.server.releaseWhere((pending) => pending.handle === this);
  }

  /** Resolves once this script has received `count` requests (recorded on arrival, before answering). */
  waitForRequests(count: number, timeoutMs = 30_000): Promise<readonly RecordedRequest[]> {
    if (this.served.length >= count) return Promise.resolve(this.served);
    return new Promise((resolve, reject) => {
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.served);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`script ${this.name}: ${this.served.length}/${count} requests after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** @internal Fails pending {@link waitForRequests} calls, so no timer outlives the server. */
  abandonWaiters(reason: string): void {
    for (const waiter of this.waiters) waiter.reject(new Error(`script ${this.name}: ${reason}`));
    this.waiters.clear();
  }

  /** @internal Takes the next step for `request`, or `undefined` when the script is used up. */
  take(request: RecordedRequest): Step | undefined {
    this.served.push(request);
    for (const waiter of this.waiters) {
      if (this.served.length >= waiter.count) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    return this.steps.shift();
  }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

export interface ScriptedModelServerOptions {
  /** Reply to model requests no script matches. Default `"ok"`. */
  defaultReply?: string;
  /** Answers model requests no script matches, in place of {@link defaultReply} (the offline worker's agent). */
  respond?: (request: RecordedRequest) => Step;
  /**
   * Where unexpected traffic (unknown endpoints, unmatched model requests, unparsable bodies) is
   * reported; `false` to stay quiet. Default `console.warn`.
   */
  log?: ((message: string) => void) | false;
}

/**
 * A Responses API server on 127.0.0.1 with a free port, answering codex from test scripts.
 *
 * @example
 * const model = await ScriptedModelServer.start();
 * model.script({ when: 'task-A', steps: [exec('echo hi > a.txt'), say('done')] });
 * const codex = new Codex({ config: model.codexConfig(), env: codexEnv.env });
 * // ... run a thread whose prompt contains "task-A" ...
 * await model.stop();
 */
export class ScriptedModelServer {
  private readonly recorded: RecordedRequest[] = [];
  private readonly scripts: ScriptHandle[] = [];
  private readonly pending = new Set<PendingRequest>();
  private readonly requestWaiters = new Set<{
    predicate: (r: RecordedRequest) => boolean;
    resolve: (r: RecordedRequest) => void;
    reject: (error: Error) => void;
  }>();
  private readonly server: Server;
  private readonly defaultReply: string;
  private readonly respond: ((request: RecordedRequest) => Step) | undefined;
  private readonly log: (message: string) => void;
  private listeningPort = 0;
  private seq = 0;
  private stopped = false;

  private constructor(options: ScriptedModelServerOptions) {
    this.defaultReply = options.defaultReply ?? 'ok';
    this.respond = options.respond;
    const log = options.log;
    this.log =
      log === false
        ? () => undefined
        : (log ??
          ((message) => {
            console.warn(message);
          }));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log(`scripted model server: handler failed: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    // Codex keeps connections alive between requests; a short timeout keeps nothing from lingering.
    this.server.keepAliveTimeout = 1_000;
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(options: ScriptedModelServerOptions = {}): Promise<ScriptedModelServer> {
    const instance = new ScriptedModelServer(options);
    await new Promise<void>((resolve, reject) => {
      instance.server.once('error', reject);
      instance.server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    instance.listeningPort = (instance.server.address() as AddressInfo).port;
    return instance;
  }

  /** The port the server listens on. */
  get port(): number {
    return this.listeningPort;
  }

  /** `http://127.0.0.1:PORT/v1`, the provider's `base_url`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Every request received, in arrival order. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Model requests no script matched (answered with the default reply). */
  get unmatchedRequests(): readonly RecordedRequest[] {
    return this.recorded.filter((r) => r.servedAs === 'default');
  }

  /**
   * The `config` for `new Codex({ config })` (or `-c` overrides for `codex exec`): selects the
   * `mock` provider pointing at this server, and by default disables retries and codex's
   * internet-bound startup features. See {@link CodexConfigOptions}.
   */
  codexConfig(options: CodexConfigOptions = {}): CodexConfigObject {
    const providerId = options.providerId ?? SCRIPTED_PROVIDER_ID;
    const provider: CodexConfigObject = {
      name: providerId,
      base_url: this.baseUrl,
      wire_api: 'responses',
      supports_websockets: false,
      request_max_retries: options.requestMaxRetries ?? 0,
      stream_max_retries: options.streamMaxRetries ?? 0,
    };
    if (options.streamIdleTimeoutMs !== undefined) provider.stream_idle_timeout_ms = options.streamIdleTimeoutMs;
    const config: CodexConfigObject = {
      model: options.model ?? SCRIPTED_MODEL,
      model_provider: providerId,
      model_providers: { [providerId]: provider },
    };
    if (options.offline ?? true) {
      config.features = { plugins: false };
      config.analytics = { enabled: false };
    }
    return config;
  }

  /** Registers a script. Scripts are tried in registration order; the first match answers. */
  script(spec: ScriptSpec): ScriptHandle {
    const handle = new ScriptHandle(this, spec.when, spec);
    this.scripts.push(handle);
    return handle;
  }

  /** Answers every hanging request with its `then` step. Returns how many were released. */
  release(): number {
    return this.releaseWhere(() => true);
  }

  /** Resolves with the first request (already received or yet to come) that satisfies `predicate`. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs = 30_000): Promise<RecordedRequest> {
    const seen = this.recorded.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (request: RecordedRequest) => {
          clearTimeout(timer);
          resolve(request);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.requestWaiters.delete(waiter);
        reject(new Error(`no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requestWaiters.add(waiter);
    });
  }

  /** Forgets all scripts and recordings (requests in flight are still answered). */
  reset(): void {
    this.scripts.length = 0;
    this.recorded.length = 0;
  }

  /** Stops listening and destroys every connection, hanging requests included. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const pending of this.pending) {
      clearTimeout(pending.timer);
      pending.record.state = 'server-stopped';
    }
    this.pending.clear();
    for (const waiter of this.requestWaiters) waiter.reject(new Error('scripted model server stopped'));
    this.requestWaiters.clear();
    for (const script of this.scripts) script.abandonWaiters('scripted model server stopped');
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    this.server.closeAllConnections();
    await closed;
  }

  /** @internal */
  releaseWhere(predicate: (pending: PendingRequest) => boolean): number {
    let released = 0;
    for (const pending of [...this.pending]) {
      if (pending.release && predicate(pending)) {
        const release = pending.release;
        pending.release = undefined;
        release();
        released++;
      }
    }
    return released;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const record = this.recordRequest(req, raw);
    const pending: PendingRequest = { record, res };
    this.pending.add(pending);
    res.on('close', () => {
      this.pending.delete(pending);
      clearTimeout(pending.timer);
      if (record.state === 'pending' || record.state === 'hanging') record.state = 'client-closed';
    });

    const path = record.path.split('?')[0] ?? '';
    if (req.method === 'POST' && path.endsWith('/responses')) {
      if (record.body === undefined || typeof record.body !== 'object') {
        this.log(`scripted model server: unparsable body for ${record.method} ${record.path}`);
        record.servedAs = 'bad-request';
        sendJson(res, 400, { error: { message: 'scripted model server: body is not JSON', type: 'invalid_request_error' } });
        return;
      }
      this.answerModelRequest(pending);
    } else if (req.method === 'GET' && path.endsWith('/models')) {
      record.servedAs = 'models';
      sendJson(res, 200, { object: 'list', data: [], models: [] });
    } else {
      this.log(`scripted model server: unexpected ${record.method} ${record.path} (answered 404)`);
      record.servedAs = 'not-found';
      sendJson(res, 404, { error: { message: `scripted model server: no ${record.method} ${record.path}`, type: 'invalid_request_error' } });
    }
    this.notifyWaiters(record);
  }

  private answerModelRequest(pending: PendingRequest): void {
    const { record } = pending;
    const handle = this.scripts.find((script) => matches(script.when, record));
    let step: Step;
    if (handle) {
      pending.handle = handle;
      record.script = handle.name;
      const next = handle.take(record);
      record.servedAs = next?.kind ?? 'exhausted';
      step = next ?? say(handle.exhaustedReply);
    } else if (this.respond) {
      step = this.respond(record);
      record.servedAs = step.kind;
    } else {
      this.log(
        `scripted model server: no script matches request #${record.seq} (answered "${this.defaultReply}"); ` +
          `last user message: ${JSON.stringify(record.userMessages.at(-1)?.slice(0, 200) ?? '')}`,
      );
      record.servedAs = 'default';
      step = say(this.defaultReply);
    }
    this.serve(pending, step);
  }

  private serve(pending: PendingRequest, step: Step): void {
    const { res, record } = pending;
    if (step.kind === 'hang') {
      openStream(res, responseId(record));
      record.state = 'hanging';
      pending.release = () => {
        record.state = 'pending';
        this.serve(pending, step.then);
      };
      return;
    }
    const answer = () => {
      if (res.destroyed) return;
      switch (step.kind) {
        case 'httpError':
          if (typeof step.body === 'string') {
            res.writeHead(step.status, { 'content-type': 'text/plain' }).end(step.body);
          } else {
            sendJson(res, step.status, step.body);
          }
          break;
        case 'disconnect':
          openStream(res, responseId(record));
          // Let the headers and first event reach codex before the connection drops.
          setImmediate(() => res.socket?.destroy());
          break;
        default:
          if (!res.headersSent) openStream(res, responseId(record));
          completeStream(res, responseId(record), outputItem(step, record.seq));
      }
      record.state = 'answered';
    };
    if (step.delayMs && step.delayMs > 0) pending.timer = setTimeout(answer, step.delayMs);
    else answer();
  }

  private recordRequest(req: IncomingMessage, raw: Buffer): RecordedRequest {
    const text = raw.toString('utf8');
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    const input = isObject(body) && Array.isArray(body.input) ? (body.input as ResponseInputItem[]) : [];
    const userMessages = input.filter((item) => item.type === 'message' && item.role === 'user').map((item) => contentText(item.content));
    const record: RecordedRequest = {
      seq: ++this.seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      input,
      userMessages,
      userText: userMessages.join('\n'),
      inputText: input
        .map(itemText)
        .filter((t) => t.length > 0)
        .join('\n'),
      receivedAt: Date.now(),
      state: 'pending',
    };
    this.recorded.push(record);
    return record;
  }

  private notifyWaiters(record: RecordedRequest): void {
    for (const waiter of this.requestWaiters) {
      if (waiter.predicate(record)) {
        this.requestWaiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Wire helpers
// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a message's `content`: a string, or the `text` of each content part. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((t) => t.length > 0)
    .join('\n');
}

function itemText(item: ResponseInputItem): string {
  switch (item.type) {
    case 'message':
      return contentText(item.content);
    case 'function_call':
      return item.arguments ?? '';
    case 'function_call_output':
      return typeof item.output === 'string' ? item.output : contentText(item.output);
    default:
      return '';
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  // codex sends plain JSON to custom providers; decode the common encodings in case that changes.
  switch (req.headers['content-encoding']) {
    case 'gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    default:
      return raw;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function responseId(record: RecordedRequest): string {
  return `resp_scripted_${record.seq}`;
}

function sseEvent(res: ServerResponse, type: string, data: Record<string, unknown>): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function openStream(res: ServerResponse, id: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  sseEvent(res, 'response.created', { response: { id, object: 'response', status: 'in_progress', output: [] } });
}

function completeStream(res: ServerResponse, id: string, item: Record<string, unknown>): void {
  sseEvent(res, 'response.output_item.done', { output_index: 0, item });
  sseEvent(res, 'response.completed', {
    response: { id, object: 'response', status: 'completed', output: [item], usage: SCRIPTED_USAGE },
  });
  res.end();
}

function outputItem(step: ReplyStep, seq: number): Record<string, unknown> {
  switch (step.kind) {
    case 'say':
      return {
        type: 'message',
        id: `msg_scripted_${seq}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: step.text, annotations: [] }],
      };
    case 'exec': {
      const args: Record<string, unknown> = { cmd: step.cmd };
      if (step.workdir !== undefined) args.workdir = step.workdir;
      if (step.login !== undefined) args.login = step.login;
      if (step.yieldTimeMs !== undefined) args.yield_time_ms = step.yieldTimeMs;
      return functionCall('exec_command', args, seq);
    }
    case 'toolCall':
      return { ...functionCall(step.name, step.arguments, seq), ...(step.namespace === undefined ? {} : { namespace: step.namespace }) };
    case 'toolSearch':
      return {
        type: 'tool_search_call',
        id: `ts_scripted_${seq}`,
        status: 'completed',
        call_id: `call_scripted_${seq}`,
        execution: 'client',
        arguments: { query: step.query, ...(step.limit === undefined ? {} : { limit: step.limit }) },
      };
  }
}

function functionCall(name: string, args: Record<string, unknown>, seq: number): Record<string, unknown> {
  return {
    type: 'function_call',
    id: `fc_scripted_${seq}`,
    status: 'completed',
    name,
    call_id: `call_scripted_${seq}`,
    arguments: JSON.stringify(args),
  };
}
