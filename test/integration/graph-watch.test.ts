import { spawn } from 'node:child_process';
import { exec, say } from '../../src/scripted-model/scripted-model-server';
import { CLI_ENTRY, useRunnerHarness } from '../support/runner-harness';

// `graph start --wait` and `graph watch`: on a terminal one table redrawn as the children change,
// piped one line per state change. The terminal is a real pseudo-terminal (util-linux `script`).
const harness = useRunnerHarness();

/** Runs the CLI in a pseudo-terminal of 40 rows and 160 columns; resolves with everything it wrote. */
function onTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, CLI_ENTRY, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', `stty rows 40 cols 160; ${quoted}`, '/dev/null'], { env: harness().env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

it('redraws one table of the children on a terminal until every child has completed', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'watch-slow', steps: [exec('sleep 2 && echo slow > slow.txt'), say('slow done')] });
  harness().model.script({ when: 'watch-fast', steps: [exec('echo fast > fast.txt'), say('fast done')] });
  const run = await onTerminal([
    'graph',
    'start',
    '--task-id',
    'watched',
    '--repo-path',
    repo,
    '--prompt',
    'Two files',
    '--child',
    'watched-slow:Slow (watch-slow)',
    '--child',
    'watched-fast:Fast (watch-fast)',
    '--wait',
  ]);
  expect(run.code).toBe(0);
  const screen = plain(run.output);
  // The table's frames, each from its title line.
  const frames = screen.split('Graph watched: ').slice(1);
  expect(frames.length).toBeGreaterThanOrEqual(2);
  const last = frames.at(-1)!;
  expect(last).toMatch(/^completed\nCHILD +STATE +AFTER +ELAPSED +TOKENS +LAST EVENT\n/);
  expect(last).toMatch(/watched-slow +completed +\d+s +\d+ +task\.completed commit [0-9a-f]{12}/);
  expect(last).toMatch(/watched-fast +completed +\d+s +\d+ +task\.completed commit [0-9a-f]{12}/);
  expect(frames.some((frame) => /watched-slow +running/.test(frame))).toBe(true);
});

it('prints one line per state change when piped, and says how to approve a child that waits', async () => {
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'watch-gated', steps: [exec('echo gated > gated.txt'), say('gated done')] });
  const started = await harness().cli([
    'graph',
    'start',
    '--task-id',
    'piped',
    '--repo-path',
    repo,
    '--prompt',
    'One gated file',
    '--require-approval',
    '--child',
    'piped-gated:Gated (watch-gated)',
  ]);
  expect(started.code).toBe(0);
  let approved = false;
  const watched = await harness().cli(['graph', 'watch', 'piped'], {}, (stdout) => {
    if (!approved && stdout.includes('piped-gated awaits approval')) {
      approved = true;
      void harness().client.approve('piped-gated');
    }
    return false;
  });
  const lines = watched.stdout
    .split('\n')
    .filter((line) => /^\d\d:\d\d:\d\d /.test(line))
    .map((line) => line.slice(9));
  // The watch may begin before the child runs, or once it already waits: what it saw before then is queued or running.
  expect(lines.slice(-3)).toEqual([
    expect.stringMatching(/^piped-gated awaiting_approval {2}\(task\.awaiting_approval commit [0-9a-f]{12}\)$/),
    'piped-gated awaits approval: codex-runner approve piped-gated (or reject piped-gated --reason text, request-changes piped-gated --message text)',
    expect.stringMatching(/^piped-gated completed {2}\(task\.completed commit [0-9a-f]{12}\)$/),
  ]);
  for (const line of lines.slice(0, -3)) expect(line).toMatch(/^piped-gated (queued|running)/);
  expect(watched.stdout).toContain('graph piped: completed');
});
