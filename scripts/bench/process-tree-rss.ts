/**
 * Peak resident memory of a process and of its whole process tree, sampled from /proc (Linux).
 *
 * Every `intervalMs` the sampler reads the parent pid of every process (/proc/<pid>/stat), finds
 * the root's descendants, and sums their `VmRSS` (/proc/<pid>/status). The tree figure is that
 * sum, so pages shared between processes (the codex binary's text, for instance) count once per
 * process: an upper bound of what the tree really holds, as `ps`/`top` would add it up.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RssPeaks {
  /** Peak VmRSS of the root process alone, in bytes. */
  rootPeakBytes: number;
  /** Peak of the summed VmRSS of the root and all its descendants, in bytes. */
  treePeakBytes: number;
  /** Most processes seen in the tree at once (root included). */
  peakProcesses: number;
  samples: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** pid → parent pid of every process alive now. */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(Number(name), ppid);
  }
  return parents;
}

function descendantsOf(root: number, parents: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const tree: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function rssBytes(pid: number): number {
  const status = readText(`/proc/${pid}/status`);
  const kb = status === undefined ? undefined : /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Samples `rootPid`'s tree until `stop()` is called; `stop()` returns the peaks. */
export function sampleProcessTreeRss(rootPid: number, intervalMs = 100): { stop(): RssPeaks } {
  const peaks: RssPeaks = { rootPeakBytes: 0, treePeakBytes: 0, peakProcesses: 0, samples: 0 };
  const sample = () => {
    const tree = descendantsOf(rootPid, parentPids());
    const sizes = tree.map(rssBytes);
    peaks.rootPeakBytes = Math.max(peaks.rootPeakBytes, sizes[0] ?? 0);
    peaks.treePeakBytes = Math.max(
      peaks.treePeakBytes,
      sizes.reduce((sum, size) => sum + size, 0),
    );
    peaks.peakProcesses = Math.max(peaks.peakProcesses, sizes.filter((size) => size > 0).length);
    peaks.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { ...peaks };
    },
  };
}
