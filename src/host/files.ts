import { existsSync, statSync } from 'node:fs';

/** Whether `file` exists and is a regular file (following symlinks). */
export function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/** Whether `dir` exists and is a directory (following symlinks). */
export function isDirectory(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}
