/**
 * CPU seconds a process used, from /proc/<pid>/stat (Linux): its own user+system time and that
 * of its children it has reaped (a finished codex or git process counts once its parent waited
 * for it, which node and codex do at once).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendantsOf } from '../../test/support/process-tree';

let ticksPerSecond: number | undefined;

function ticks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

export interface CpuSeconds {
  self: number;
  /** Reaped descendants. */
  children: number;
}

export function processCpuSeconds(pid: number): CpuSeconds {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "pid (comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { self: (field(14) + field(15)) / ticks(), children: (field(16) + field(17)) / ticks() };
}

/**
 * CPU seconds of `pid` (self) and of everything under it (children): the descendants it has
 * reaped, and those still running with what they have reaped (a codex session still running, say).
 */
export function treeCpuSeconds(pid: number): CpuSeconds {
  const root = processCpuSeconds(pid);
  let children = root.children;
  for (const descendant of descendantsOf(pid)) {
    try {
      const cpu = processCpuSeconds(descendant);
      children += cpu.self + cpu.children;
    } catch {
      // ended since the process table was read: its parent has it (or will) in its reaped time
    }
  }
  return { self: root.self, children };
}

/**
 * CPU seconds every process on the machine has used since boot (/proc/stat: user, nice, system,
 * irq, softirq, steal). Over a run, this minus what the bench's own processes used is what
 * other work on the machine took: the bench's figures are only as good as that is small.
 */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticks();
}

/** `after` minus `before`. */
export function cpuDelta(before: CpuSeconds, after: CpuSeconds): CpuSeconds {
  return { self: after.self - before.self, children: after.children - before.children };
}
