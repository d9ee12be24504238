import { readdir, readFile } from 'node:fs/promises';

/**
 * Finds codex processes working in `worktreePath` (the SDK starts codex with `--cd <dir>`).
 * A worker killed with -9 leaves its codex child running, re-parented to init and still
 * writing in the worktree; a retry must stop it before working there. Linux only (/proc); on
 * other platforms nothing is found.
 */
export async function findCodexProcessesIn(worktreePath: string): Promise<number[]> {
  return findProcesses('cmdline', (cmdline) => {
    const argv = cmdline.split('\0');
    const cdIndex = argv.indexOf('--cd');
    const isCodex = argv[0] !== undefined && /(^|\/)codex$/.test(argv[0]) && argv.includes('exec');
    return isCodex && cdIndex >= 0 && argv[cdIndex + 1] === worktreePath;
  });
}

/**
 * The processes (other than this one) whose `/proc/<pid>/<file>` satisfies `matches`; one that
 * ends meanwhile, or is not ours to read, is left out. Linux only: elsewhere nothing is found.
 */
export async function findProcesses(file: 'cmdline' | 'environ', matches: (contents: string) => boolean): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const contents = await readFile(`/proc/${entry}/${file}`, 'utf8').catch(() => undefined);
    if (contents !== undefined && matches(contents)) pids.push(Number(entry));
  }
  return pids;
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops every codex process working in `worktreePath`: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopCodexProcessesIn(worktreePath: string, graceMs = 3_000): Promise<number[]> {
  const pids = await findCodexProcessesIn(worktreePath);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of pids.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
