import { readFileSync } from 'node:fs';
import path from 'node:path';

/** codex-runner's version, from its package.json (beside `dist/` in the checkout and in the installed package). */
export const VERSION: string = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
