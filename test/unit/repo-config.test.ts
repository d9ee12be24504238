import { parse as parseYaml } from 'yaml';
import { describeCheck, fixInstruction, verdictOf, verificationRecord, type CheckResult } from '../../src/contracts/checks';
import { parseRepoConfig, resolveChecks } from '../../src/contracts/repo-config';

const parse = (text: string) => parseRepoConfig(text, '.codex-runner.yaml', parseYaml);

describe('.codex-runner.yaml', () => {
  it('reads a real config', () => {
    expect(parse('setup: [npm ci]\ncopy: [.env, "config/*.local.json"]\nverify:\n  - npm test\nmaxVerifyTurns: 3\ncommandTimeout: 20m\n')).toEqual({
      setup: ['npm ci'],
      copy: ['.env', 'config/*.local.json'],
      verify: ['npm test'],
      maxVerifyTurns: 3,
      commandTimeout: '20m',
    });
    expect(parse('')).toEqual({});
  });

  it.each([
    ['verify: [npm test', /^\.codex-runner\.yaml: not valid YAML: /],
    ['verify: npm test', /^\.codex-runner\.yaml: verify: Invalid input: expected array, received string$/],
    ['verify: [""]', /^\.codex-runner\.yaml: verify\.0: a command must not be empty$/],
    ['verfy: [npm test]', /^\.codex-runner\.yaml: input: unknown field verfy \(remove it\)$/],
    ['maxVerifyTurns: 1.5', /^\.codex-runner\.yaml: maxVerifyTurns: maxVerifyTurns must be an integer$/],
    ['commandTimeout: 10 minutes', /^\.codex-runner\.yaml: commandTimeout: a duration must be a number and a unit/],
    ['copy: [../secrets]', /^\.codex-runner\.yaml: copy\.0: a path must be relative to the repository root and stay inside it$/],
    ['- npm test', /^\.codex-runner\.yaml: input: Invalid input: expected object, received array$/],
  ])('refuses %j in one line naming the file and the field', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it("lays the task's checks over the file's, field by field; an empty list turns the file's off", () => {
    const file = { setup: ['npm ci'], verify: ['npm test'], copy: ['.env'] };
    expect(resolveChecks(file, { verify: [] })).toEqual({ setup: ['npm ci'], copy: ['.env'], verify: [], maxVerifyTurns: 2, commandTimeout: '10m' });
    expect(resolveChecks(undefined, undefined)).toEqual({ setup: [], copy: [], verify: [], maxVerifyTurns: 2, commandTimeout: '10m' });
  });
});

describe('a verification run', () => {
  const passed: CheckResult = { command: 'npm run lint', outcome: 'passed', exitCode: 0, durationMs: 1200, output: '' };
  const failed: CheckResult = { command: 'npm test', outcome: 'failed', exitCode: 1, durationMs: 3400, output: '1 failing\n' };
  const errored: CheckResult = { command: 'npm tset', outcome: 'errored', exitCode: 127, durationMs: 5, output: '', reason: 'command not found' };

  it('is decided by the first command that did not pass', () => {
    expect(verdictOf([passed])).toEqual({ status: 'passed' });
    expect(verdictOf([passed, failed])).toEqual({ status: 'failed', failed });
    expect(verdictOf([errored])).toEqual({ status: 'errored', failed: errored });
    expect(verificationRecord([passed, failed], 2)).toEqual({
      status: 'failed',
      runs: 2,
      checks: [
        { command: 'npm run lint', outcome: 'passed', exitCode: 0, durationMs: 1200 },
        { command: 'npm test', outcome: 'failed', exitCode: 1, durationMs: 3400 },
      ],
      message: '`npm test` failed with exit 1 after 3.4 s',
    });
  });

  it('tells the agent what failed, with its output', () => {
    expect(describeCheck(errored)).toBe('`npm tset` could not run: command not found');
    expect(fixInstruction(failed)).toBe(
      '`npm test` failed with exit 1 after 3.4 s. Its output:\n\n```\n1 failing\n```\n\nFix the code so that the check passes. Do not change the check itself.',
    );
  });
});
