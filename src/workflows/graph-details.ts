import type { GraphRecord, WorkerResult } from '../contracts/records';
import type { GraphScheduler } from './graph-scheduler';

/** Rows of the children's table in a graph's current details; the Web UI takes 20 KB of Markdown. */
const MAX_ROWS = 100;

type GraphChildRow = GraphRecord['children'][number];

/** What a child is doing, as its parent knows it. */
function childStatus(child: GraphChildRow, scheduler: GraphScheduler, result: WorkerResult | undefined): string {
  const state = scheduler.stateOf(child.taskId);
  if (result?.errorCode) return `${state} (${result.errorCode})`;
  if (state === 'queued' && scheduler.isBlocked(child.taskId)) return 'queued (blocked: a prerequisite failed)';
  if (state !== 'queued') return state;
  const ready = child.dependencyTaskIds.every((id) => scheduler.stateOf(id) === 'completed');
  return ready ? 'queued (ready, waiting for a slot)' : 'queued (waiting for its prerequisites)';
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/**
 * A graph parent's current details after its own: the aggregate state, how many children are in
 * each state, and a table of the children (state, prerequisites, commit), so the Web UI shows the
 * graph rather than the messages that run it.
 */
export function describeChildren(children: GraphRecord['children'], scheduler: GraphScheduler, results: WorkerResult[]): string[] {
  const byTask = new Map(results.map((result) => [result.taskId, result]));
  const counts = new Map<string, number>();
  for (const { taskId } of children) {
    const state = scheduler.stateOf(taskId);
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const rows = children.slice(0, MAX_ROWS).map((child) => {
    const commit = byTask.get(child.taskId)?.commitSha?.slice(0, 12) ?? '';
    return `| ${cell(child.taskId)} | ${childStatus(child, scheduler, byTask.get(child.taskId))} | ${child.dependencyTaskIds.map(cell).join(', ')} | ${commit} |`;
  });
  const more = children.length > MAX_ROWS ? [`…and ${children.length - MAX_ROWS} more (\`codex-runner graph status\` lists them all)`] : [];
  return [
    `**Graph:** ${scheduler.state}; ${[...counts].map(([state, count]) => `${count} ${state}`).join(', ')}`,
    ['| child | state | after | commit |', '|---|---|---|---|', ...rows].join('\n'),
    ...more,
  ];
}
