import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bashCompletion, zshCompletion } from '../../src/cli/completion';
import { runCli } from '../../src/cli/main';
import { buildProgram } from '../../src/cli/program';

const program = buildProgram({ stdout: () => undefined, stderr: () => undefined });
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'completion-'));
  writeFileSync(path.join(dir, 'codex-runner.bash'), bashCompletion(program));
  writeFileSync(path.join(dir, 'codex-runner.zsh'), zshCompletion(program));
  writeFileSync(path.join(dir, 'task.md'), 'a prompt\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash completes for `words` (the last one being typed), with the script sourced, as bash calls it on Tab. */
function bashCompletes(...words: string[]): string[] {
  return bashCompletesWith('codex-runner.bash', words);
}

function bashCompletesWith(scriptFile: string, words: string[]): string[] {
  const script = `source ./${scriptFile}; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _codex_runner; printf "%s\\n" "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['-c', script, 'bash', 'codex-runner', ...words], { cwd: dir, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.split('\n').filter(Boolean);
}

describe('bash completion, generated from the command tree', () => {
  it('completes subcommands, at the root and in a group', () => {
    expect(bashCompletes('gr')).toEqual(['graph']);
    expect(bashCompletes('graph', 'st')).toEqual(['start', 'status']);
    expect(bashCompletes('')).toEqual(expect.arrayContaining(['worker', 'start', 'graph', 'completion', 'help']));
  });

  it("completes a command's options, the global ones included", () => {
    expect(bashCompletes('start', '--pro')).toEqual(['--prompt', '--prompt-file', '--profile']);
    expect(bashCompletes('graph', 'add', '--')).toEqual(expect.arrayContaining(['--child', '--json', '--address', '--namespace', '--help']));
  });

  it("skips an option's value to find the command, and completes values: choices, file names", () => {
    expect(bashCompletes('--address', 'localhost:7233', 'sta')).toEqual(['start', 'status']);
    expect(bashCompletes('start', '--sandbox', '')).toEqual(['read-only', 'workspace-write', 'danger-full-access']);
    expect(bashCompletes('list', '--state', 'aw')).toEqual(['awaiting_approval']);
    expect(bashCompletes('start', '--prompt-file', 'ta')).toEqual(['task.md']);
    expect(bashCompletes('start', '--task-id', '')).toEqual([]);
    expect(bashCompletes('completion', '')).toEqual(['bash', 'zsh']);
  });

  it('stays true as commands change: a command added to the tree completes, with its options', () => {
    const grown = buildProgram({ stdout: () => undefined, stderr: () => undefined });
    grown.command('graph-export').option('--format <format>');
    writeFileSync(path.join(dir, 'grown.bash'), bashCompletion(grown));
    expect(bashCompletesWith('grown.bash', ['graph-'])).toEqual(['graph-export']);
    expect(bashCompletesWith('grown.bash', ['graph-export', '--f'])).toEqual(['--format']);
  });
});

const zsh = spawnSync('zsh', ['--version']).error === undefined;
(zsh ? describe : describe.skip)('zsh completion (where zsh is installed)', () => {
  it('offers the same words through compadd, and file names through _files', () => {
    const complete = (current: number, ...words: string[]) => {
      const script = `compdef() { :; }; compadd() { print -r -- "$*"; }; _files() { print files; }; source ./codex-runner.zsh; words=(codex-runner ${words.map((word) => `'${word}'`).join(' ')}); CURRENT=${current}; _codex_runner`;
      return spawnSync('zsh', ['-f', '-c', script], { cwd: dir, encoding: 'utf8' }).stdout.trim();
    };
    expect(complete(3, 'graph', 'sta')).toBe('-- start retry add close watch status results synthesis help');
    expect(complete(4, 'start', '--prompt-file', 'ta')).toBe('files');
  });
});

it('`completion` prints the script for the shell asked for, and refuses another', async () => {
  let stdout = '';
  expect(await runCli(['completion', 'bash'], { stdout: (text) => (stdout += text), stderr: () => undefined })).toBe(0);
  expect(stdout).toBe(bashCompletion(buildProgram({ stdout: () => undefined, stderr: () => undefined })));
  expect(await runCli(['completion', 'fish'], { stdout: () => undefined, stderr: () => undefined })).toBe(2);
});
