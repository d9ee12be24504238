import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/cli/main';
import { VERSION } from '../../src/version';

it("prints codex-runner's version from package.json, and exits 0", async () => {
  const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(version);
  let out = '';
  const code = await runCli(['--version'], { stdout: (text: string) => (out += text), stderr: () => undefined });
  expect([code, out]).toEqual([0, `${version}\n`]);
});
