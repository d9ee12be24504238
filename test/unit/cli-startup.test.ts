import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The built CLI (scripts/test.sh builds dist/ first). */
const CLI_ENTRY = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** The packages a command line loads before it answers, run from dist/ as the installed bin is. */
function packagesLoadedBy(argv: string[]): string[] {
  const script = `require(${JSON.stringify(CLI_ENTRY)}).runCli(${JSON.stringify(argv)}, { stdout() {}, stderr() {} }).then(() => {
    const packages = Object.keys(require.cache).map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(packages)]));
  })`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

describe('--help, --version and completion', () => {
  it.each([[['--help']], [['--version']], [['graph', 'start', '--help']], [['completion', 'bash']]])(
    '%j load commander alone: no Temporal, zod, Codex SDK, MCP or git',
    (argv) => {
      expect(packagesLoadedBy(argv)).toEqual(['commander']);
    },
  );
});
