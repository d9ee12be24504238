import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Owner read/write only: the config names credentials and the secrets file holds them. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Writes `value` as pretty JSON with a trailing newline, mode 0600, creating the parent folder.
 * The file is written beside the target and renamed over it, so a reader (a worker starting a
 * turn) never sees half a file, and an existing file with a looser mode ends up 0600 too.
 */
export async function writePrivateJsonFile(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const staging = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(staging, `${JSON.stringify(value, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    // writeFile's mode is filtered by the umask; set it explicitly.
    await chmod(staging, PRIVATE_FILE_MODE);
    await rename(staging, file);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}
