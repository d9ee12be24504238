import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promptFrom } from '../../src/cli/common';
import { runCli } from '../../src/cli/main';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prompt-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the prompt of start and graph start', () => {
  it('is --prompt, or the text of --prompt-file, or none', async () => {
    const file = path.join(dir, 'prompt.md');
    await writeFile(file, 'Add a health check\n\nKeep it small.\n');
    expect(await promptFrom({ prompt: 'inline' })).toBe('inline');
    expect(await promptFrom({ promptFile: file })).toBe('Add a health check\n\nKeep it small.\n');
    expect(await promptFrom({})).toBeUndefined();
  });

  it('refuses a --prompt-file that is missing, a directory, or blank, naming it', async () => {
    const blank = path.join(dir, 'blank.txt');
    await writeFile(blank, ' \n\n');
    await expect(promptFrom({ promptFile: path.join(dir, 'missing.txt') })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^--prompt-file: cannot read .*missing\.txt: ENOENT/),
    });
    await expect(promptFrom({ promptFile: dir })).rejects.toMatchObject({ message: `--prompt-file: ${dir} is a directory` });
    await expect(promptFrom({ promptFile: blank })).rejects.toMatchObject({ message: `--prompt-file: ${blank} holds no prompt` });
  });

  it('is exactly one of --prompt and --prompt-file: both, or neither, is a usage error in one line', async () => {
    const run = async (argv: string[]) => {
      let stderr = '';
      const code = await runCli(argv, { stdout: () => undefined, stderr: (text) => (stderr += text) });
      return { code, stderr };
    };
    expect(await run(['start', '--prompt', 'x', '--prompt-file', 'p.md'])).toEqual({
      code: 2,
      stderr: "VALIDATION_FAILED: option '--prompt <text>' cannot be used with option '--prompt-file <path|->' (run with --help for usage)\n",
    });
    expect(await run(['start'])).toEqual({ code: 2, stderr: 'VALIDATION_FAILED: start needs a prompt: --prompt <text> or --prompt-file <path|->\n' });
    expect((await run(['graph', 'start', '--prompt', 'x', '--prompt-file', 'p.md'])).code).toBe(2);
  });
});
