import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MIN_CODEX_VERSION } from '../../src/host/codex-binary';
import { runCli } from '../support/runner-harness';

// `npm install @openai/codex` is ~400 MB; `npm ci` has put the same tarballs in npm's cache, which
// `runtime install` prefers (--prefer-offline), so this takes seconds and needs the registry only
// for metadata.
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'codex-runtime-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ ...(process.env as Record<string, string>), PLATO_HOME: path.join(root, 'plato-home'), ...extra });

describe('codex-runner runtime install', () => {
  const runtimeDir = () => path.join(root, 'plato-home', 'runtime');

  it(`installs @openai/codex@${MIN_CODEX_VERSION} into $PLATO_HOME/runtime from npm and verifies it`, async () => {
    const run = await runCli(['runtime', 'install', '--json'], { env: env() });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { runtime } = JSON.parse(run.stdout) as { runtime: { path: string; source: string; version: string; runtimeDir: string; installed: boolean } };
    expect(runtime).toMatchObject({ source: 'runtime', version: MIN_CODEX_VERSION, runtimeDir: runtimeDir(), installed: true });
    expect(runtime.path.startsWith(path.join(runtimeDir(), 'node_modules', '@openai', `codex-${process.platform}-${process.arch}`))).toBe(true);
    const { stdout } = await promisify(execFile)(runtime.path, ['--version']);
    expect(stdout.trim()).toBe(`codex-cli ${MIN_CODEX_VERSION}`);
    // Nothing is left beside it: the staging folder became the runtime.
    expect(await readdir(path.join(root, 'plato-home'))).toEqual(['runtime']);
  });

  it('leaves a verified runtime alone the second time', async () => {
    const run = await runCli(['runtime', 'install'], { env: env() });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^codex ${MIN_CODEX_VERSION.replace(/\./g, '\\.')} is already installed at ${runtimeDir()}/`));
  });

  it('fails with what to check when npm cannot reach a registry, leaving no half-made runtime', async () => {
    const target = path.join(root, 'unreachable-runtime');
    const run = await runCli(['runtime', 'install', '--runtime-dir', target], {
      env: env({
        npm_config_registry: 'http://127.0.0.1:9/',
        npm_config_cache: path.join(root, 'empty-npm-cache'),
        npm_config_fetch_retries: '0',
        npm_config_offline: 'false',
      }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`CODEX_INSTALL_FAILED: npm install @openai/codex@${MIN_CODEX_VERSION} into ${target} failed (exit`);
    expect(run.stderr).toContain('Check that this host reaches the npm registry');
    expect(existsSync(target)).toBe(false);
    expect((await readdir(root)).filter((name) => name.startsWith('unreachable-runtime'))).toEqual([]);
  });
});
