import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { allCommands, commandPath, ENVIRONMENT_TOPIC, EXAMPLES } from '../../src/cli/help';
import { runCli } from '../../src/cli/main';
import { buildProgram } from '../../src/cli/program';

const quiet = { stdout: () => undefined, stderr: () => undefined };

async function output(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: () => undefined });
  return { code, stdout };
}

describe('the help', () => {
  it('has examples for every command, and none for a command that does not exist', () => {
    const paths = allCommands(buildProgram(quiet)).map(commandPath);
    expect(paths.filter((name) => EXAMPLES[name] === undefined)).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((name) => !paths.includes(name))).toEqual([]);
  });

  it("shows a command's examples after its options", async () => {
    const { code, stdout } = await output(['graph', 'add', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('\nExamples:\n  $ codex-runner graph add release --child docs:"Document the API"\n');
  });

  it('lists the exit codes and the help topics at the root', async () => {
    const { stdout } = await output(['--help']);
    expect(stdout).toMatch(/Exit codes:\n {2}0 {2}success\n {2}1 {2}a runner error[\s\S]*\n {2}2 {2}a usage error/);
    expect(stdout).toContain('codex-runner help environment');
    expect(stdout).toContain('codex-runner completion bash|zsh');
  });

  it('shows the true default of start --repo-path, not the directory it was built or loaded in', async () => {
    const { stdout } = await output(['start', '--help']);
    expect(stdout).toMatch(/--repo-path <path> +git repository to work in \(default: the\s+current directory\)/);
    expect(stdout).not.toContain(process.cwd());
  });

  it('marks the options a command cannot do without', async () => {
    expect((await output(['reject', '--help'])).stdout).toMatch(/--reason <text> +why \(required\)/);
    expect((await output(['request-changes', '--help'])).stdout).toMatch(/--message <text> +the changes you want \(required\)/);
  });

  it("shows the global Temporal options in every command's help", async () => {
    expect((await output(['status', '--help'])).stdout).toMatch(/Global Options:[\s\S]*--address <host:port>[\s\S]*--namespace <name>[\s\S]*--profile <name>/);
  });

  it('answers help <command> as <command> --help, and help environment with the topic', async () => {
    expect(await output(['help', 'graph', 'start'])).toEqual(await output(['graph', 'start', '--help']));
    expect(await output(['help', 'environment'])).toEqual({ code: 0, stdout: ENVIRONMENT_TOPIC });
    expect(await runCli(['help', 'nope'], quiet)).toBe(2);
  });
});

describe('the environment topic', () => {
  /** Every `env.NAME` the source reads, but those the system sets (HOME) or npm does (npm_command). */
  function variablesRead(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return variablesRead(file);
      if (!entry.name.endsWith('.ts')) return [];
      return [...readFileSync(file, 'utf8').matchAll(/\benv(?:\.|\[')([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!);
    });
  }

  it('names every environment variable the code reads, and those of Temporal it passes on', () => {
    const read = [...new Set(variablesRead(path.join(__dirname, '..', '..', 'src')))].filter((name) => !['HOME', 'npm_command'].includes(name));
    expect(read.length).toBeGreaterThan(0);
    for (const name of [...read, 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE']) {
      expect(ENVIRONMENT_TOPIC).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    }
  });
});
