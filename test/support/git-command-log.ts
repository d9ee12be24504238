import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The git commands this test process started, one per process, as `git` saw its arguments. */
export interface GitCommandLog {
  /**
   * Each command's arguments joined with spaces, in the order they ran, without the `-c` settings
   * every command of codex-runner's starts with (its identity); `clear` empties the list.
   */
  commands(): Promise<string[]>;
  clear(): Promise<void>;
  /** Puts PATH back and removes the logging `git`. */
  restore(): Promise<void>;
}

/**
 * Puts a `git` first on this process's PATH that writes its arguments to a log and then runs the
 * real git: every spawn of git by code in this process is counted (git's own subcommands run
 * from git's exec path and are not). Each is a process start, so this count is what the
 * activities cost.
 */
export async function logGitCommands(): Promise<GitCommandLog> {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const dir = await mkdtemp(path.join(tmpdir(), 'git-command-log-'));
  const log = path.join(dir, 'commands.log');
  await writeFile(log, '');
  await writeFile(path.join(dir, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  await chmod(path.join(dir, 'git'), 0o755);
  const originalPath = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${originalPath ?? ''}`;
  return {
    commands: async () =>
      (await readFile(log, 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.replace(/^(-c \S+ )+/, '')),
    clear: () => writeFile(log, ''),
    restore: async () => {
      process.env.PATH = originalPath;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
