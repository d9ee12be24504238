import os from 'node:os';
import path from 'node:path';

/** `PLATO_HOME`, default `~/.plato`: config, secrets, the dev server's database, the Temporal CLI. */
export function platoHome(): string {
  return process.env.PLATO_HOME ?? path.join(os.homedir(), '.plato');
}

export function defaultConfigPath(): string {
  return path.join(platoHome(), 'config.json');
}

export function defaultSecretsPath(): string {
  return path.join(platoHome(), 'secrets.json');
}

/** The runner-owned codex install (`npm install --prefix`), used when the bundled binary is missing. */
export function codexRuntimeDir(): string {
  return path.join(platoHome(), 'runtime');
}

/**
 * Codex's own home for `env` (default `~/.codex`): its sessions and, after a ChatGPT login, its
 * auth store (`auth.json`), which is the only place the ChatGPT tokens live.
 */
export function codexHomeFor(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODEX_HOME ?? path.join(env.HOME ?? os.homedir(), '.codex');
}
