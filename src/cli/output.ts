import { describeEvent } from '../contracts/describe-event';
import type { TaskEvent } from '../contracts/events';
import type { TaskRecord } from '../contracts/task';
import type { TaskSummary } from '../client/codex-runner-client';

/** Where command output goes; injectable so tests can run the CLI in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Prints a command's `--json` document: one object naming what it holds, a thing under its noun
 * (`{ "task": … }`), a list under its plural (`{ "tasks": [ … ] }`), with the keys that qualify it
 * beside them (docs/decisions/0016-cli-json-documents.md).
 */
export function printJson(io: CliIO, document: object): void {
  io.stdout(`${JSON.stringify(document, null, 2)}\n`);
}

/** Prints one item of a `--json` stream (`events --follow`, `config auth-chatgpt`): one compact object per line, as it happens. */
export function printJsonLine(io: CliIO, item: object): void {
  io.stdout(`${JSON.stringify(item)}\n`);
}

export function formatEvent(event: TaskEvent): string {
  const time = event.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const detail = describeEvent(event);
  return `#${String(event.seq).padStart(3)} ${time} ${event.type}${detail ? `  ${detail}` : ''}`;
}

/**
 * A task's commit as a person reads it. A task whose agent changed nothing has no commit of its
 * own: its branch stays at its base, which is what `commitSha` then holds (and where its
 * dependents start from).
 */
export function commitLabel(task: Pick<TaskRecord, 'commitSha' | 'filesChanged'>): string | undefined {
  if (task.commitSha === undefined) return undefined;
  return task.filesChanged?.length === 0 ? `none: nothing changed (the branch stays at its base ${task.commitSha})` : task.commitSha;
}

export function formatTask(task: TaskRecord): string {
  const rows: [string, string | undefined][] = [
    ['task', task.taskId],
    ['state', task.state],
    ['repo', task.repoPath],
    ['priority', String(task.priority)],
    ['parent', task.parentTaskId],
    ['branch', task.branchName],
    ['base', task.graph?.baseSha ?? task.baseSha],
    ['worktree', task.worktreePath],
    ['host', task.host],
    ['thread', task.threadId],
    ['commit', commitLabel(task)],
    ['files', task.filesChanged?.join(', ')],
    ['verification', task.verification ? `${task.verification.message} (run ${task.verification.runs})` : undefined],
    ['failure', task.failure ? `${task.failure.code}: ${task.failure.message}` : undefined],
    ['final message', task.finalMessage],
    ['tokens', task.usage ? `${task.usage.inputTokens} in / ${task.usage.outputTokens} out` : undefined],
    ['created', task.createdAt],
    ['updated', task.updatedAt],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([label, value]) => `${label.padEnd(width)}  ${value}`)
    .join('\n');
}

export function formatTaskTable(tasks: TaskSummary[]): string {
  if (tasks.length === 0) return 'No tasks.';
  const header = ['TASK', 'STATE', 'PRIORITY', 'PARENT', 'HOST', 'STARTED', 'REPO'];
  const rows = tasks.map((task) => [
    task.taskId,
    task.state ?? '?',
    String(task.priority ?? ''),
    task.parentTaskId ?? '',
    task.host ?? '',
    task.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    task.repoPath ?? '',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
