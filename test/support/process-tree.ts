import { readdirSync, readFileSync } from 'node:fs';

/** A /proc file's text, or undefined when the process ended between listing and reading. */
export function readProcText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the process runs (Linux /proc): a zombie waiting for its parent to reap it counts as ended. */
export function isRunning(pid: number): boolean {
  const stat = readProcText(`/proc/${pid}/stat`);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** pid → parent pid of every process alive now (Linux /proc). */
export function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcText(`/proc/${name}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
    parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  return parents;
}

/** Every descendant of `root` (not `root` itself), from one snapshot of the process table. */
export function descendantsOf(root: number, parents: Map<number, number> = parentPids()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}
