/**
 * Peak resident memory of a process and of its whole process tree, sampled from /proc (Linux).
 *
 * Every `intervalMs` the sampler reads the parent pid of every process (/proc/<pid>/stat), finds
 * the root's descendants, and sums their `VmRSS` (/proc/<pid>/status). The tree figure is that
 * sum, so pages shared between processes (the codex binary's text, for instance) count once per
 * process: an upper bound of what the tree really holds, as `ps`/`top` would add it up.
 */
import { descendantsOf, parentPids, readProcText } from '../../test/support/process-tree';

export interface RssPeaks {
  /** Peak VmRSS of the root process alone, in bytes. */
  rootPeakBytes: number;
  /** Peak of the summed VmRSS of the root and all its descendants, in bytes. */
  treePeakBytes: number;
  /** Most processes seen in the tree at once (root included). */
  peakProcesses: number;
  samples: number;
}

function rssBytes(pid: number): number {
  const status = readProcText(`/proc/${pid}/status`);
  const kb = status === undefined ? undefined : /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Samples `rootPid`'s tree until `stop()` is called; `stop()` returns the peaks. */
export function sampleProcessTreeRss(rootPid: number, intervalMs = 100): { stop(): RssPeaks } {
  const peaks: RssPeaks = { rootPeakBytes: 0, treePeakBytes: 0, peakProcesses: 0, samples: 0 };
  const sample = () => {
    const tree = [rootPid, ...descendantsOf(rootPid, parentPids())];
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
