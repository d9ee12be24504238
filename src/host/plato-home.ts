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
