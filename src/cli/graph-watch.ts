import type { CodexRunnerClient } from '../client/codex-runner-client';
import { describeEvent } from '../contracts/describe-event';
import type { TaskEvent } from '../contracts/events';
import type { TaskGraphSnapshot } from '../contracts/graph';
import type { TaskRecord } from '../contracts/records';
import { isTerminalState } from '../contracts/task-values';
import type { CliIO } from './output';

/** How often a watch reads the graph again. */
const POLL_MS = 1_000;

/** What a watch knows of one child between reads: its last event and when its work started. */
interface ChildProgress {
  afterSeq: number;
  last?: TaskEvent;
  startedAt?: number;
  endedAt?: number;
  /** The state last printed (line mode), or approval hint given. */
  shownState?: string;
}

/** Whether stdout is a terminal a table can be redrawn on: one with a size (a pseudo-terminal of size 0 shows nothing). */
export function redrawable(): boolean {
  return process.stdout.isTTY === true && (process.stdout.rows ?? 0) > 0 && (process.stdout.columns ?? 0) > 0;
}

/** The line that tells an operator how to decide on a task waiting for approval. */
export function approvalHint(taskId: string): string {
  return `${taskId} awaits approval: codex-runner approve ${taskId} (or reject ${taskId} --reason text, request-changes ${taskId} --message text)`;
}

function elapsed(progress: ChildProgress, now: number): string {
  if (progress.startedAt === undefined) return '';
  const seconds = Math.round(((progress.endedAt ?? now) - progress.startedAt) / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

const tokens = (child: TaskRecord) => (child.usage ? String(child.usage.inputTokens + child.usage.outputTokens) : '');

/** The graph as one table: each child's state, prerequisites, last event, elapsed time and tokens. */
export function graphTable(snapshot: TaskGraphSnapshot, progress: Map<string, ChildProgress>, now: number, width = 120): string {
  const header = ['CHILD', 'STATE', 'AFTER', 'ELAPSED', 'TOKENS', 'LAST EVENT'];
  const rows = snapshot.children.map((child) => {
    const seen = progress.get(child.taskId);
    const last = seen?.last ? `${seen.last.type} ${describeEvent(seen.last)}`.trim() : '';
    return [child.taskId, child.state, (snapshot.dependencies[child.taskId] ?? []).join(','), seen ? elapsed(seen, now) : '', tokens(child), last];
  });
  const widths = header.slice(0, -1).map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => {
    const fixed = cells
      .slice(0, -1)
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ');
    const room = Math.max(10, width - fixed.length - 2);
    const lastCell = cells.at(-1)!.replace(/\s+/g, ' ');
    return `${fixed}  ${lastCell.length > room ? `${lastCell.slice(0, room - 1)}…` : lastCell}`.trimEnd();
  };
  const waiting = snapshot.children.filter((child) => child.state === 'awaiting_approval').map((child) => approvalHint(child.taskId));
  return [`Graph ${snapshot.parent.taskId}: ${snapshot.state}`, line(header), ...rows.map(line), ...waiting].join('\n');
}

/** Reads each child's new events (a live child's by query, an ended one's from its history). */
async function readProgress(client: CodexRunnerClient, snapshot: TaskGraphSnapshot, progress: Map<string, ChildProgress>): Promise<void> {
  await Promise.all(
    snapshot.children.map(async (child) => {
      const seen = progress.get(child.taskId) ?? { afterSeq: 0 };
      progress.set(child.taskId, seen);
      if (seen.endedAt !== undefined || child.state === 'queued') return;
      const events = await client.listEvents(child.taskId, seen.afterSeq).catch(() => []);
      for (const event of events) {
        seen.afterSeq = event.seq;
        seen.last = event;
        if (event.type === 'task.started' || event.type === 'task.graph.worker.started') seen.startedAt ??= Date.parse(event.at);
      }
      if (isTerminalState(child.state)) seen.endedAt = seen.last ? Date.parse(seen.last.at) : Date.now();
    }),
  );
}

/**
 * Follows a graph until it has ended. On a terminal it redraws one table of the children as they
 * change (log-update keeps the redraw to the lines it wrote); otherwise it prints one line per
 * child state change, and each child that waits for approval with the command that decides.
 * Returns the graph as it ended.
 */
export async function watchGraph(io: CliIO, client: CodexRunnerClient, parentTaskId: string, terminal: boolean): Promise<TaskGraphSnapshot> {
  const progress = new Map<string, ChildProgress>();
  const draw = terminal ? (await import('log-update')).default : undefined;
  for (;;) {
    const snapshot = await client.getTaskGraph(parentTaskId);
    await readProgress(client, snapshot, progress);
    const ended = isTerminalState(snapshot.parent.state);
    if (draw) draw(graphTable(snapshot, progress, Date.now(), process.stdout.columns || 120));
    else printChanges(io, snapshot, progress);
    if (ended) {
      draw?.done();
      return snapshot;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function printChanges(io: CliIO, snapshot: TaskGraphSnapshot, progress: Map<string, ChildProgress>): void {
  const time = new Date().toISOString().slice(11, 19);
  for (const child of snapshot.children) {
    const seen = progress.get(child.taskId)!;
    if (seen.shownState === child.state) continue;
    seen.shownState = child.state;
    const last = seen.last ? `  (${seen.last.type} ${describeEvent(seen.last)}`.trimEnd() + ')' : '';
    io.stdout(`${time} ${child.taskId} ${child.state}${last}\n`);
    if (child.state === 'awaiting_approval') io.stdout(`${time} ${approvalHint(child.taskId)}\n`);
  }
}
