import { rm } from 'node:fs/promises';
import { readRegularFile } from './files';
import { defaultSecretsPath } from './plato-home';
import { writePrivateJsonFile } from './private-json-file';
import { ConfigError } from './runner-config';

/**
 * The secrets file (`$PLATO_HOME/secrets.json`, mode 0600): a flat `{ "<secretRef>": "<value>" }`
 * map, as in the reference system. The config file names a secret by its ref; only the worker host
 * reads the value, at the moment it needs it.
 */
export async function readSecrets(secretsPath = defaultSecretsPath()): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readRegularFile(secretsPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read secrets file ${secretsPath}: ${(error as Error).message}`);
  }
  let secrets: unknown;
  try {
    secrets = JSON.parse(text);
  } catch {
    // The parse error could quote the file, and the file holds secrets: say only where it is.
    throw new ConfigError(`Secrets file ${secretsPath} is not valid JSON`);
  }
  if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) {
    throw new ConfigError(`Secrets file ${secretsPath} must hold a JSON object of secret names to values`);
  }
  return secrets as Record<string, string>;
}

export async function setSecret(ref: string, value: string, secretsPath = defaultSecretsPath()): Promise<void> {
  const secrets = await readSecrets(secretsPath);
  await writePrivateJsonFile(secretsPath, { ...secrets, [ref]: value });
}

/** Removes a secret; the file itself goes when nothing is left in it (as the reference does). */
export async function deleteSecret(ref: string, secretsPath = defaultSecretsPath()): Promise<void> {
  const secrets = await readSecrets(secretsPath);
  if (!(ref in secrets)) return;
  delete secrets[ref];
  if (Object.keys(secrets).length === 0) await rm(secretsPath, { force: true });
  else await writePrivateJsonFile(secretsPath, secrets);
}
