import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** Whether `file` exists and is a regular file (following symlinks). */
export function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/** Whether `dir` exists and is a directory (following symlinks). */
export function isDirectory(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}

/**
 * The text of `file`, refusing anything but a regular file: reading a FIFO or a device would
 * block, or never end. Errors are Node's (`ENOENT` when it is missing), or one that says what
 * the path is instead.
 */
export async function readRegularFile(file: string): Promise<string> {
  const found = await stat(file);
  if (!found.isFile()) throw Object.assign(new Error(`${file} is ${found.isDirectory() ? 'a directory' : 'not a regular file'}`), { code: 'ENOTFILE' });
  return readFile(file, 'utf8');
}
