import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode } from '../contracts/errors';
import { CodexRuntimeError, findRuntimeCodexBinary, MIN_CODEX_VERSION, verifyCodexBinary, type CodexBinary } from './codex-binary';
import { codexRuntimeDir } from './plato-home';

export interface InstallCodexRuntimeOptions {
  /** Default `$PLATO_HOME/runtime`. */
  runtimeDir?: string;
  /** Default {@link MIN_CODEX_VERSION}: the one version this project pins (a second one would double ~400 MB). */
  version?: string;
  /** Aborting stops npm and removes the half-made install. */
  signal?: AbortSignal;
}

export interface InstalledCodexRuntime extends CodexBinary {
  version: string;
  runtimeDir: string;
}

/** What npm said went wrong: its `npm error` lines without the stack, object dump and log path. */
function npmErrorSummary(lines: string[]): string {
  const messages = lines
    .map((line) => /^npm (?:error|ERR!) (.*)$/.exec(line)?.[1])
    .filter((text): text is string => text !== undefined && /^[A-Za-z]/.test(text))
    .filter((text) => !/^(code|syscall|errno) |^A complete log/.test(text));
  return messages.slice(0, 2).join(' ') || lines.slice(-3).join(' | ');
}

/** Runs npm, resolving with its exit code and what it said went wrong. */
function runNpm(args: string[], options: InstallCodexRuntimeOptions): Promise<{ code: number; error: string }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const child = spawn('npm', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // npm is a .cmd script on Windows, which only a shell can start.
      shell: process.platform === 'win32',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (line.trim() === '') continue;
        if (lines.length < 500) lines.push(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, error: npmErrorSummary(lines) }));
  });
}

/**
 * Installs `@openai/codex@<version>` into the runner-owned runtime folder with
 * `npm install --prefix`, verifies the binary, and returns it. npm installs into a staging folder
 * beside the runtime, which replaces the old one only once it verifies: an interrupted or failed
 * install never leaves a half-made runtime that a session would then spawn, and two installs at
 * once (two tasks on a fresh host) cannot corrupt each other.
 * @throws CodexRuntimeError `CODEX_INSTALL_FAILED` when npm fails (no registry, no disk space),
 *   `CODEX_VERIFY_FAILED` when the installed binary does not run or reports the wrong version.
 */
export async function installCodexRuntime(options: InstallCodexRuntimeOptions = {}): Promise<InstalledCodexRuntime> {
  const runtimeDir = path.resolve(options.runtimeDir ?? codexRuntimeDir());
  const version = options.version ?? MIN_CODEX_VERSION;
  const staging = `${runtimeDir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  const retired = `${runtimeDir}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    let result;
    try {
      result = await runNpm(
        ['install', '--prefix', staging, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=http', `@openai/codex@${version}`],
        options,
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new CodexRuntimeError(
        ErrorCode.codexInstallFailed,
        `Could not run npm to install @openai/codex@${version}: ${(error as Error).message}. Install Node.js with npm on this host.`,
      );
    }
    if (result.code !== 0) {
      throw new CodexRuntimeError(
        ErrorCode.codexInstallFailed,
        `npm install @openai/codex@${version} into ${runtimeDir} failed (exit ${result.code}): ${result.error} Check that this host reaches the npm registry (\`npm config get registry\`) and has about 500 MB free, or install codex yourself and set codex.codexPath in the config file.`,
      );
    }
    const staged = findRuntimeCodexBinary(staging);
    if (staged === undefined) {
      throw new CodexRuntimeError(
        ErrorCode.codexVerifyFailed,
        `npm installed @openai/codex@${version} but no codex binary for ${process.platform}-${process.arch} came with it (optional dependencies must be allowed: check npm's \`omit\` setting).`,
      );
    }
    const verified = await verifyCodexBinary(staged);
    if (verified.version !== version) {
      throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `npm installed codex ${verified.version}, not the pinned ${version}.`);
    }
    await rename(runtimeDir, retired).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(staging, runtimeDir).catch((error: NodeJS.ErrnoException) => {
      // Another install finished between the two renames; its runtime is verified below.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await Promise.all([rm(staging, { recursive: true, force: true }), rm(retired, { recursive: true, force: true })]);
  }
  const binary = findRuntimeCodexBinary(runtimeDir);
  if (binary === undefined) throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `The codex runtime in ${runtimeDir} disappeared right after its install.`);
  return { ...binary, ...(await verifyCodexBinary(binary)), runtimeDir };
}
