// Runs one BaselineSpec (../baseline.ts) on the reference system, Plato's codex-runner
// (github.com/Bensigo/plato, services/codex-runner; built by ./setup.sh), wired as its CLI's
// openOperatorRuntime() does (src/cli.ts), with codex pointed at spec.codexConfig. Needs Node >= 22.5
// (the reference keeps its state in node:sqlite). Run by ./compare.ts:
//
//   REFSYS_DIR=<setup.sh's directory> node22 driver.mjs <spec.json>
//
// Prints one JSON line: { wallMs, tasks: [{ taskId, state, startedAt?, runningAt?, finishedAt? }], states,
// settledMs? }. Times are ms since just before createTaskGraph. Exit 1 if a child failed.
import { mkdtemp, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REFSYS_DIR = process.env.REFSYS_DIR;
if (!REFSYS_DIR) throw new Error('REFSYS_DIR is not set: run ./setup.sh, then ./compare.ts');
const REF = path.join(REFSYS_DIR, 'plato', 'services', 'codex-runner', 'dist', 'src');
// `codex` (this project's @openai/codex) on PATH for the runtime manager's `codex --version`.
process.env.PATH = `${path.join(REFSYS_DIR, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`;

const { CodexRunnerService } = await import(`${REF}/codex-runner-service.js`);
const { FileLogStreamer } = await import(`${REF}/logs/file-log-streamer.js`);
const { DefaultCodexRuntimeManager } = await import(`${REF}/runtime/codex-runtime-manager.js`);
const { CodexSdkBackedAgentSessionFactory } = await import(`${REF}/session/codex-sdk-backed-agent-session.js`);
const { openCodexRunnerPersistence } = await import(`${REF}/store/sqlite-runner-persistence.js`);
const { GitWorktreeManager } = await import(`${REF}/worktree/git-worktree-manager.js`);

const PARENT_ID = 'refsys-parent';
const TERMINAL = new Set(['completed', 'failed']);

const spec = JSON.parse(await readFile(process.argv[2], 'utf8'));
const head = execFileSync('git', ['-C', spec.repoPath, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
if (head !== spec.baseSha) {
  console.error(`refsys: warning: ${spec.repoPath} HEAD ${head} != baseSha ${spec.baseSha}; the reference always branches from HEAD`);
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'refsys-'));
const persistence = openCodexRunnerPersistence({ filePath: path.join(dataDir, 'runner.sqlite') });

let t0 = 0;
const since = () => performance.now() - t0;
const childIds = new Set(spec.children.map((child) => child.taskId));
const marks = new Map(); // taskId -> { startedAt, runningAt, finishedAt, failure }
const mark = (taskId) => {
  if (!marks.has(taskId)) marks.set(taskId, {});
  return marks.get(taskId);
};

// Waiting is event-driven: the reference has no event bus, but every terminal transition is saved to
// the store and then appended to the log streamer (task.completed / task.failed), so a pass-through
// wrapper around the real FileLogStreamer notices it without polling. It only observes.
let onTerminalEvent = () => {};
let onParentEvent = () => {};
let appendsInFlight = 0;
const fileLog = new FileLogStreamer(path.join(dataDir, 'events.json'));
const logStreamer = {
  async append(event) {
    const at = since();
    appendsInFlight++;
    try {
      await fileLog.append(event);
    } finally {
      appendsInFlight--;
    }
    if (childIds.has(event.taskId)) {
      if (event.type === 'task.started' || event.type === 'task.resumed') mark(event.taskId).runningAt ??= at;
      if (event.type === 'task.completed' || event.type === 'task.failed') {
        const m = mark(event.taskId);
        m.finishedAt = at;
        if (event.type === 'task.failed') m.failure = `${event.errorCode ?? ''} ${event.message ?? ''}`.trim();
        onTerminalEvent();
      }
    } else if (event.taskId === PARENT_ID) {
      onParentEvent(event);
    }
  },
  list: (taskId) => fileLog.list(taskId),
};

// As the CLI, except the detect command: the CLI's default is `sh -lc "command -v codex"`, and a login
// shell resets PATH from /etc/profile here, so codex would not be found and the manager would run
// `npm install -g @openai/codex`. `sh -c` (non-login) keeps PATH; everything else is the reference's.
const realRuntimeManager = new DefaultCodexRuntimeManager({ detectCommand: { command: 'sh', args: ['-c', 'command -v codex'] } });
const runtimeManager = {
  ensureReady(task, streamer) {
    // The scheduler calls this right after picking a task, before creating its worktree.
    if (childIds.has(task.taskId)) mark(task.taskId).startedAt ??= since();
    return realRuntimeManager.ensureReady(task, streamer);
  },
};

const service = new CodexRunnerService({
  store: persistence.store,
  sessionStore: persistence.sessionStore,
  worktreeManager: new GitWorktreeManager(),
  logStreamer,
  agentSessionFactory: new CodexSdkBackedAgentSessionFactory({
    codexOptions: { config: spec.codexConfig, env: process.env },
    threadOptions: {
      skipGitRepoCheck: true,
      approvalPolicy: 'never',
      sandboxMode: 'workspace-write',
      networkAccessEnabled: false,
    },
  }),
  runtimeManager,
  maxConcurrentTasks: spec.slots,
});

const childStates = async () => (await persistence.store.listChildTasks(PARENT_ID)).map((task) => ({ taskId: task.taskId, state: task.state }));
const allTerminal = (states) => states.length === childIds.size && states.every((task) => TERMINAL.has(task.state));

let wallMs;
const done = new Promise((resolve, reject) => {
  let checking = false;
  let again = false;
  onTerminalEvent = async () => {
    if (checking) return void (again = true);
    checking = true;
    try {
      do {
        again = false;
        if (wallMs === undefined && allTerminal(await childStates())) {
          wallMs = since();
          resolve();
        }
      } while (again);
    } catch (error) {
      reject(error);
    } finally {
      checking = false;
    }
  };
  const timeout = Number(process.env.REFSYS_TIMEOUT_MS ?? 0);
  if (timeout > 0) setTimeout(() => reject(new Error(`refsys: children not terminal after ${timeout} ms`)), timeout).unref();
});
// After the last child the reference still collects its result and synthesizes the parent outcome
// (task.graph.synthesized) and appends its terminal graph event; wait for that before closing the database under it.
let settledMs;
const settled = new Promise((resolve) => {
  onParentEvent = (event) => {
    if (event.type === 'task.graph.completed' || event.type === 'task.graph.failed') {
      settledMs = since();
      resolve();
    }
  };
});

t0 = performance.now();
await service.createTaskGraph({
  parent: { taskId: PARENT_ID, repoPath: spec.repoPath, prompt: spec.goal },
  children: spec.children.map((child) => ({
    taskId: child.taskId,
    prompt: child.prompt,
    dependencyTaskIds: child.dependencyTaskIds,
  })),
});
await onTerminalEvent(); // in case everything ended inside createTaskGraph
await done;

await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
while (appendsInFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));

const finalStates = await childStates();
const tasks = finalStates.map(({ taskId, state }) => {
  const { startedAt, runningAt, finishedAt } = marks.get(taskId) ?? {};
  return { taskId, state, startedAt, runningAt, finishedAt };
});
const states = {};
for (const { state } of finalStates) states[state] = (states[state] ?? 0) + 1;
process.stdout.write(`${JSON.stringify({ wallMs, tasks, states, settledMs })}\n`);

// No persistence.close(): the service's schedule loop may still be reading the store, and
// process.exit ends it. The data dir lives under the caller's TMPDIR, which the caller removes.
const failed = finalStates.filter((task) => task.state !== 'completed');
if (failed.length > 0) {
  console.error(`refsys: ${failed.length} child task(s) did not complete:`);
  for (const { taskId, state } of failed) console.error(`  ${taskId}: ${state} ${marks.get(taskId)?.failure ?? ''}`);
  process.exit(1);
}
process.exit(0);
