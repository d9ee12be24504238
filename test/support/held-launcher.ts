import type { CommandRun, Launcher } from '../../src/host/launcher';

/**
 * A launcher whose commands end when the test says so: `started` lists them in the order they
 * began, `end(file)` ends one (with a run, or an Error to reject with) and lets the queue under
 * test hand its place on before the test looks again.
 */
export function heldLauncher() {
  const started: string[] = [];
  const ends = new Map<string, (run: CommandRun | Error) => void>();
  const inner: Launcher = {
    run: (file) =>
      new Promise((resolve, reject) => {
        started.push(file);
        ends.set(file, (run) => (run instanceof Error ? reject(run) : resolve(run)));
      }),
  };
  const end = async (file: string, run: CommandRun | Error = { code: 0, signal: null, stdout: file, stderr: '' }) => {
    ends.get(file)!(run);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { inner, started, end };
}
