import { CommanderError } from 'commander';
import { TaskNotFoundError, TemporalUnavailableError, ValidationError } from '../../src/client/errors';
import { describeFailure, failUnlessCompleted, formatFailure, jsonRequested } from '../../src/cli/failure';
import { runCli } from '../../src/cli/main';
import { ConfigError } from '../../src/host/runner-config';

describe('a command error as its caller sees it', () => {
  it('is a usage error (exit 2, VALIDATION_FAILED) when commander refused the command line', () => {
    const unknown = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'");
    expect(describeFailure(unknown)).toEqual({ code: 'VALIDATION_FAILED', message: "unknown option '--bogus' (run with --help for usage)", exitCode: 2 });
    const missing = new CommanderError(1, 'commander.help', '(outputHelp)');
    expect(describeFailure(missing)).toEqual({ code: 'VALIDATION_FAILED', message: 'a command is missing (run with --help for usage)', exitCode: 2 });
  });

  it('is a usage error when the command refused its input (a ValidationError)', () => {
    expect(describeFailure(new ValidationError('--task-id must not be empty'))).toEqual({
      code: 'VALIDATION_FAILED',
      message: '--task-id must not be empty',
      exitCode: 2,
    });
  });

  it("is a runner error (exit 1) with its own code for any error carrying one of the project's codes", () => {
    expect(describeFailure(new TaskNotFoundError('nope'))).toEqual({ code: 'TASK_NOT_FOUND', message: 'Task nope was not found', exitCode: 1 });
    expect(describeFailure(new TemporalUnavailableError('127.0.0.1:1', undefined))).toMatchObject({ code: 'TEMPORAL_UNAVAILABLE', exitCode: 1 });
    expect(describeFailure(new ConfigError('config.json is not JSON'))).toEqual({ code: 'CONFIG_INVALID', message: 'config.json is not JSON', exitCode: 1 });
  });

  it('is INTERNAL_ERROR for anything else', () => {
    expect(describeFailure(new Error('boom'))).toEqual({ code: 'INTERNAL_ERROR', message: 'boom', exitCode: 1 });
    expect(describeFailure(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(describeFailure('thrown text')).toEqual({ code: 'INTERNAL_ERROR', message: 'thrown text', exitCode: 1 });
  });

  it('prints as `CODE: message` on one line, or with --json as one {"error":{code,message}} document', () => {
    const failure = { code: 'TASK_FAILED', message: 'git said:\n  fatal: no\n', exitCode: 1 } as const;
    expect(formatFailure(failure, false)).toBe('TASK_FAILED: git said: fatal: no\n');
    expect(JSON.parse(formatFailure(failure, true))).toEqual({ error: { code: 'TASK_FAILED', message: 'git said:\n  fatal: no\n' } });
  });
});

describe('--json on the command line', () => {
  it('counts anywhere before a `--` that ends the options', () => {
    expect(jsonRequested(['status', 'x', '--json'])).toBe(true);
    expect(jsonRequested(['--json', 'status', 'x'])).toBe(true);
    expect(jsonRequested(['start', '--', '--json'])).toBe(false);
    expect(jsonRequested(['status', 'x'])).toBe(false);
  });
});

describe('a waited-for task or graph that did not complete', () => {
  it('is an error with the code and message it ended with', () => {
    expect(() => failUnlessCompleted('Task t', { state: 'failed', failure: { code: 'CODEX_TURN_FAILED', message: 'the model refused' } })).toThrow(
      expect.objectContaining({ code: 'CODEX_TURN_FAILED', message: 'Task t ended failed: the model refused' }) as Error,
    );
  });

  it('is TASK_CANCELLED or TASK_FAILED when it ended without a failure; a completed one is none', () => {
    expect(() => failUnlessCompleted('Task t', { state: 'cancelled' })).toThrow(expect.objectContaining({ code: 'TASK_CANCELLED' }) as Error);
    expect(() => failUnlessCompleted('Graph g', { state: 'running' }, 'failed')).toThrow(expect.objectContaining({ code: 'TASK_FAILED' }) as Error);
    expect(() => failUnlessCompleted('Graph g', { state: 'completed' }, 'completed')).not.toThrow();
  });
});

describe('the exit code of a command line', () => {
  const run = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
    return { code, stdout, stderr };
  };

  it('is 2 for a usage error, with the error on stderr (as JSON with --json)', async () => {
    expect(await run(['start', '--prompt', 'x', '--bogus'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "VALIDATION_FAILED: unknown option '--bogus' (run with --help for usage)\n",
    });
    expect(await run(['start', '--prompt', 'x', '--priority', 'high'])).toMatchObject({
      code: 2,
      stderr: "VALIDATION_FAILED: option '--priority <n>' argument 'high' is invalid. priority must be an integer (run with --help for usage)\n",
    });
    const json = await run(['status', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'VALIDATION_FAILED', message: "missing required argument 'taskId' (run with --help for usage)" },
    });
  });

  it('is 2 for a group command without its subcommand: its help, then the error', async () => {
    const missing = await run(['graph']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Usage: codex-runner graph [\s\S]*\nVALIDATION_FAILED: a command is missing \(run with --help for usage\)\n$/);
  });

  it('is 0 for --help and --version', async () => {
    expect((await run(['--help'])).code).toBe(0);
    expect((await run(['start', '--help'])).code).toBe(0);
    expect((await run(['--version'])).code).toBe(0);
  });
});
