import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareVersions, MIN_CODEX_VERSION, resolveBundledCodexBinary, verifyCodexBinary } from '../../src/host/codex-binary';

async function fakeCodex(versionLine: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fake-codex-'));
  const file = path.join(dir, 'codex');
  await writeFile(file, `#!/bin/sh\necho "${versionLine}"\n`);
  await chmod(file, 0o755);
  return file;
}

describe('the codex runtime check', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('0.163.0', '0.163.0')).toBe(0);
    expect(compareVersions('0.99.0', '0.163.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '0.163.5')).toBeGreaterThan(0);
  });

  it('accepts the bundled binary, the one the SDK spawns', async () => {
    const binary = resolveBundledCodexBinary();
    expect(binary).toMatch(/@openai\/codex-linux-x64\/vendor\/x86_64-unknown-linux-musl\/bin\/codex$/);
    await expect(verifyCodexBinary({ path: binary, source: 'bundled' })).resolves.toEqual({ version: MIN_CODEX_VERSION });
  });

  it('refuses a missing binary with CODEX_VERIFY_FAILED', async () => {
    await expect(verifyCodexBinary({ path: '/nonexistent/codex', source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining('codex.codexPath'),
    });
  });

  it('refuses a binary older than the pinned minimum', async () => {
    const old = await fakeCodex('codex-cli 0.100.0');
    await expect(verifyCodexBinary({ path: old, source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining(`older than ${MIN_CODEX_VERSION}`),
    });
  });
});
