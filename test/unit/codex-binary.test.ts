import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  assertNicedLaunchWorks,
  CODEX_NICED_SCRIPT,
  codexLaunch,
  CodexRuntimeError,
  codexProcessEnv,
  compareVersions,
  findBundledCodexBinary,
  findRuntimeCodexBinary,
  MIN_CODEX_VERSION,
  resolveCodexBinary,
  verifyCodexBinary,
  type CodexBinary,
} from '../../src/host/codex-binary';

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function fakeCodex(versionLine: string): Promise<string> {
  const file = path.join(await tempDir('fake-codex-'), 'codex');
  await writeFile(file, `#!/bin/sh\necho "${versionLine}"\n`);
  await chmod(file, 0o755);
  return file;
}

/** A runtime folder laid out the way `npm install --prefix` leaves @openai/codex (binary faked). */
async function fakeRuntime(): Promise<{ runtimeDir: string; binary: string }> {
  const runtimeDir = await tempDir('fake-runtime-');
  const modules = path.join(runtimeDir, 'node_modules', '@openai');
  const triple = findBundledCodexBinary()!.path.split(path.sep).at(-3)!;
  const vendor = path.join(modules, `codex-${process.platform}-${process.arch}`, 'vendor', triple);
  await mkdir(path.join(modules, 'codex'), { recursive: true });
  await writeFile(path.join(modules, 'codex', 'package.json'), JSON.stringify({ name: '@openai/codex', version: MIN_CODEX_VERSION }));
  await mkdir(path.join(vendor, 'bin'), { recursive: true });
  await mkdir(path.join(vendor, 'codex-path'));
  await writeFile(path.join(vendor, '..', '..', 'package.json'), JSON.stringify({ name: `@openai/codex-${process.platform}-${process.arch}` }));
  const binary = path.join(vendor, 'bin', 'codex');
  await writeFile(binary, `#!/bin/sh\necho "codex-cli ${MIN_CODEX_VERSION}"\n`);
  await chmod(binary, 0o755);
  return { runtimeDir, binary };
}

describe('the codex runtime check', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('0.163.0', '0.163.0')).toBe(0);
    expect(compareVersions('0.99.0', '0.163.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '0.163.5')).toBeGreaterThan(0);
  });

  it('accepts the bundled binary, the one the SDK spawns, with the SDK helper folder for PATH', async () => {
    const binary = findBundledCodexBinary()!;
    expect(binary.path).toMatch(/@openai\/codex-linux-x64\/vendor\/x86_64-unknown-linux-musl\/bin\/codex$/);
    expect(binary.pathDirs).toEqual([path.join(path.dirname(binary.path), '..', 'codex-path')].map((dir) => path.normalize(dir)));
    await expect(verifyCodexBinary(binary)).resolves.toEqual({ version: MIN_CODEX_VERSION });
  });

  it('refuses a missing binary with CODEX_VERIFY_FAILED', async () => {
    await expect(verifyCodexBinary({ path: '/nonexistent/codex', source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining('codex.codexPath'),
    });
  });

  it('refuses a binary that fails, saying how and what it printed', async () => {
    const broken = path.join(await tempDir('broken-codex-'), 'codex');
    await writeFile(broken, '#!/bin/sh\necho "cannot load libfoo" >&2\nexit 3\n');
    await chmod(broken, 0o755);
    await expect(verifyCodexBinary({ path: broken, source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: `\`${broken} --version\` failed: exit code 3: cannot load libfoo`,
    });
  });

  it("runs the check in the binary's folder, whatever this process's working directory is", async () => {
    const binary = path.join(await tempDir('cwd-codex-'), 'codex');
    await writeFile(binary, `#!/bin/sh\n[ "$(pwd)" = "$(dirname "$0")" ] && echo "codex-cli ${MIN_CODEX_VERSION}"\n`);
    await chmod(binary, 0o755);
    await expect(verifyCodexBinary({ path: binary, source: 'config' })).resolves.toEqual({ version: MIN_CODEX_VERSION });
  });

  it('refuses a binary it may not run, saying why', async () => {
    const binary = await fakeCodex(`codex-cli ${MIN_CODEX_VERSION}`);
    await chmod(binary, 0o644);
    await expect(verifyCodexBinary({ path: binary, source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining('EACCES'),
    });
  });

  it('refuses a binary older than the pinned minimum', async () => {
    const old = await fakeCodex('codex-cli 0.100.0');
    await expect(verifyCodexBinary({ path: old, source: 'config' })).rejects.toMatchObject({
      code: 'CODEX_VERIFY_FAILED',
      message: expect.stringContaining(`older than ${MIN_CODEX_VERSION}`),
    });
  });
});

describe('choosing the codex binary', () => {
  it('takes codex.codexPath over everything, resolved to an absolute path', () => {
    expect(resolveCodexBinary('relative/codex')).toEqual({ path: path.resolve('relative/codex'), source: 'config', pathDirs: [] });
  });

  it('takes the bundled @openai/codex when the config names none', () => {
    expect(resolveCodexBinary(undefined).source).toBe('bundled');
  });

  it('finds a runtime installed with npm --prefix, with its helper folder', async () => {
    const { runtimeDir, binary } = await fakeRuntime();
    expect(findRuntimeCodexBinary(runtimeDir)).toEqual({ path: binary, source: 'runtime', pathDirs: [path.join(path.dirname(binary), '..', 'codex-path')] });
  });

  it("does not take a parent folder's node_modules for the runtime", () => {
    // This repository's node_modules holds @openai/codex; a runtime folder inside it has none of its own.
    const runtimeDir = path.resolve(__dirname, '..', '..', '.plato-test-runtime-absent');
    expect(findRuntimeCodexBinary(runtimeDir)).toBeUndefined();
  });

  it('puts the helper folders first on PATH, once', () => {
    const env = codexProcessEnv({ path: '/x/codex', source: 'runtime', pathDirs: ['/x/tools'] }, { PATH: '/usr/bin:/x/tools', HOME: '/h', UNSET: undefined });
    expect(env).toEqual({ PATH: '/x/tools:/usr/bin', HOME: '/h' });
  });
});

describe('starting codex for a session', () => {
  /** A stand-in for codex that prints its niceness, its arguments and whether the script's variables reached it. */
  async function reportingCodex(): Promise<string> {
    const file = path.join(await tempDir('reporting-codex-'), 'codex');
    await writeFile(
      file,
      '#!/bin/sh\necho $$\nnice\nprintf "%s|" "$@"; echo\necho "${CODEX_RUNNER_CODEX_BINARY-unset} ${CODEX_RUNNER_SESSION_NICE-unset} $PATH"\n',
    );
    await chmod(file, 0o755);
    return file;
  }

  /** Spawns as the SDK does; the stand-in's first line, its pid, must be the one the SDK would stop. */
  async function run(launch: { codexPathOverride: string; env: Record<string, string> }, args: string[]): Promise<string[]> {
    const running = promisify(execFile)(launch.codexPathOverride, args, { env: launch.env });
    const [pid, ...lines] = (await running).stdout.trim().split('\n');
    expect(Number(pid)).toBe(running.child.pid);
    return lines;
  }

  it('finds the script runnable, and refuses one that is not, saying how to do without it', async () => {
    expect(() => assertNicedLaunchWorks()).not.toThrow();
    const notExecutable = path.join(await tempDir('niced-'), 'codex-niced.sh');
    await writeFile(notExecutable, '#!/bin/sh\n');
    for (const [script, why] of [
      [notExecutable, 'EACCES'],
      [`${notExecutable}.missing`, 'ENOENT'],
    ] as const) {
      expect(() => assertNicedLaunchWorks(script)).toThrow(CodexRuntimeError);
      expect(() => assertNicedLaunchWorks(script)).toThrow(
        `${script}, which cannot be run here (${why}): reinstall codex-runner, or start the worker with --session-nice 0.`,
      );
    }
  });

  it('runs the binary itself at sessionNice 0', async () => {
    const binary: CodexBinary = { path: await reportingCodex(), source: 'config', pathDirs: [] };
    const launch = codexLaunch(binary, { PATH: process.env.PATH }, 0);
    expect(launch.codexPathOverride).toBe(binary.path);
    expect(await run(launch, ['exec'])).toEqual([String(getPriority()), 'exec|', `unset unset ${process.env.PATH}`]);
  });

  it('runs it sessionNice steps below this process, in the spawned pid, with the arguments intact and without its own variables', async () => {
    const binary: CodexBinary = { path: await reportingCodex(), source: 'runtime', pathDirs: ['/x/tools'] };
    const launch = codexLaunch(binary, { PATH: process.env.PATH }, 7);
    expect(launch.codexPathOverride).toBe(CODEX_NICED_SCRIPT);
    const [niceness, args, env] = await run(launch, ['exec', '--cd', '/a dir/with spaces', '*', '']);
    expect(Number(niceness)).toBe(Math.min(19, getPriority() + 7));
    expect(args).toBe('exec|--cd|/a dir/with spaces|*||');
    expect(env).toBe(`unset unset /x/tools:${process.env.PATH}`);
  });
});
