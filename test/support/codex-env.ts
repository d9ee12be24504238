/**
 * A throw-away environment for running the real codex binary in tests.
 *
 * What codex needs (found by experiment against codex 0.163.0):
 * - A writable `CODEX_HOME`. It creates its state there on first use (sessions/, sqlite
 *   databases, config.toml with a trust entry per working directory, bundled skills), so a fresh
 *   one per test run keeps threads and trust from leaking between runs and from the developer's
 *   own `~/.codex`.
 * - No login and no API key: a custom provider without `env_key` sends no credentials, and codex
 *   does not ask for any. The environment is built from scratch (the SDK does not inherit
 *   `process.env` when `env` is given), so `OPENAI_API_KEY`/`CODEX_API_KEY`/`OPENAI_BASE_URL` of the
 *   developer never reach codex.
 * - `TMPDIR` outside `CODEX_HOME`'s parent: codex refuses to create its helper aliases
 *   (`apply_patch`, the sandbox helper) when `CODEX_HOME` lies under the temp dir, and warns on
 *   every start. Pointing `TMPDIR` at a sibling directory inside the same temp root satisfies it.
 * - `HOME` of its own: commands run through a login shell (`bash -lc`), which would otherwise source
 *   the developer's profile and mix its noise (e.g. pyenv warnings) into command output.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as CodexSdkModule from '@openai/codex-sdk' with { 'resolution-mode': 'import' };
import type { CodexConfigObject, CodexConfigValue } from '../../src/scripted-model/scripted-model-server';

/** The `@openai/codex-sdk` module (ESM-only). */
export type CodexSdk = typeof CodexSdkModule;

/**
 * Loads the ESM-only `@openai/codex-sdk`. ts-jest runs with `isolatedModules`, so this `import()`
 * stays a real dynamic import, which jest can serve only when node runs with
 * `--experimental-vm-modules` (`npm test` sets it).
 */
export async function loadCodexSdk(): Promise<CodexSdk> {
  try {
    return await import('@openai/codex-sdk');
  } catch (error) {
    // Jest's message alone ("A dynamic import callback was invoked without …") hides the fix.
    if (String(error).includes('experimental-vm-modules')) {
      throw new Error('Loading @openai/codex-sdk under jest needs NODE_OPTIONS=--experimental-vm-modules', { cause: error });
    }
    throw error;
  }
}

export interface CodexTestEnvOptions {
  /**
   * Written to `CODEX_HOME/config.toml`, so codex started with this env uses it even without
   * `--config` overrides (e.g. `model.codexConfig()`, for code under test that builds its own
   * Codex options). Overrides passed on the command line still win.
   */
  config?: CodexConfigObject;
  /** Extra variables, applied last. */
  env?: Record<string, string>;
}

export interface CodexTestEnv {
  /** The temp directory holding everything below; removed by {@link CodexTestEnv.cleanup}. */
  root: string;
  codexHome: string;
  home: string;
  tmpDir: string;
  /** Complete environment for the codex process (pass as the SDK's `env`). */
  env: Record<string, string>;
  /** Removes `root`. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Creates a fresh CODEX_HOME, HOME and TMPDIR under one temp directory. */
export async function createCodexTestEnv(options: CodexTestEnvOptions = {}): Promise<CodexTestEnv> {
  const root = await mkdtemp(join(tmpdir(), 'codex-test-'));
  const codexHome = join(root, 'codex-home');
  const home = join(root, 'home');
  const tmpDir = join(root, 'tmp');
  await Promise.all([mkdir(codexHome), mkdir(home), mkdir(tmpDir)]);
  if (options.config) await writeFile(join(codexHome, 'config.toml'), toToml(options.config));

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    CODEX_HOME: codexHome,
    TMPDIR: tmpDir,
    LANG: 'C.UTF-8',
    // With an empty HOME, git (run by codex or by a script's commands) has no identity to commit with.
    GIT_AUTHOR_NAME: 'Codex Test',
    GIT_AUTHOR_EMAIL: 'codex-test@example.invalid',
    GIT_COMMITTER_NAME: 'Codex Test',
    GIT_COMMITTER_EMAIL: 'codex-test@example.invalid',
    ...options.env,
  };
  return {
    root,
    codexHome,
    home,
    tmpDir,
    env,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Serializes a config object as TOML dotted keys (`a.b.c = value`), the same shapes the SDK turns
 * into `--config` overrides. Root-level dotted keys avoid table headers, so codex can still append
 * its own `[projects."…"]` tables to the file.
 */
export function toToml(config: CodexConfigObject): string {
  const lines: string[] = [];
  const visit = (value: CodexConfigValue, path: string[]): void => {
    if (isConfigObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
    } else {
      lines.push(`${path.map(tomlKey).join('.')} = ${tomlValue(value)}`);
    }
  };
  visit(config, []);
  return `${lines.join('\n')}\n`;
}

function isConfigObject(value: CodexConfigValue): value is CodexConfigObject {
  return typeof value === 'object' && !Array.isArray(value);
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: CodexConfigValue): string {
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are valid TOML
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)
    .join(', ')} }`;
}
