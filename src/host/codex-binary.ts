import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode } from '../contracts/errors';

const execFileAsync = promisify(execFile);

/** Oldest codex CLI this project is tested with (the version `@openai/codex-sdk` pins). */
export const MIN_CODEX_VERSION = '0.163.0';

const TARGET_TRIPLES: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
  'win32-x64': 'x86_64-pc-windows-msvc',
  'win32-arm64': 'aarch64-pc-windows-msvc',
};

export class CodexRuntimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CodexRuntimeError';
  }
}

/** The codex binary a session will run, and where that choice came from. */
export interface CodexBinary {
  path: string;
  source: 'config' | 'bundled';
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/**
 * Finds the binary `@openai/codex-sdk` spawns when no override is given: the platform package
 * that `@openai/codex` depends on, `vendor/<triple>/bin/codex` (or the older `codex/codex`).
 * Resolving it the same way is what ties the runtime check to what actually runs.
 */
export function resolveBundledCodexBinary(): string {
  const triple = TARGET_TRIPLES[`${process.platform}-${process.arch}`];
  if (triple === undefined) {
    throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `Codex has no binary for ${process.platform}-${process.arch}`);
  }
  const platformPackage = `@openai/codex-${process.platform}-${process.arch}`;
  let vendorRoot: string;
  try {
    const codexRequire = createRequire(require.resolve('@openai/codex/package.json'));
    vendorRoot = path.join(path.dirname(codexRequire.resolve(`${platformPackage}/package.json`)), 'vendor', triple);
  } catch {
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `The codex binary is missing: @openai/codex or ${platformPackage} is not installed. Run \`npm ci\` (optional dependencies must be allowed), or set codex.codexPath in the config file.`,
    );
  }
  const binaryName = process.platform === 'win32' ? 'codex.exe' : 'codex';
  for (const candidate of [path.join(vendorRoot, 'bin', binaryName), path.join(vendorRoot, 'codex', binaryName)]) {
    if (isFile(candidate)) return candidate;
  }
  throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `The codex binary is missing from ${vendorRoot}. Reinstall @openai/codex.`);
}

export function resolveCodexBinary(codexPath: string | undefined): CodexBinary {
  if (codexPath !== undefined) return { path: path.resolve(codexPath), source: 'config' };
  return { path: resolveBundledCodexBinary(), source: 'bundled' };
}

/** Compares dotted versions numerically (`0.163.0` < `0.169.1`); pre-release tags are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0]!.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Runs `<binary> --version` and checks it against {@link MIN_CODEX_VERSION}.
 * @throws CodexRuntimeError with `CODEX_VERIFY_FAILED` when the binary is missing, does not run,
 *   prints no version, or is too old.
 */
export async function verifyCodexBinary(binary: CodexBinary): Promise<{ version: string }> {
  if (!isFile(binary.path)) {
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `The codex binary ${binary.path} does not exist${binary.source === 'config' ? ' (codex.codexPath in the config file)' : ''}.`,
    );
  }
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(binary.path, ['--version'], { timeout: 30_000 }));
  } catch (error) {
    throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `\`${binary.path} --version\` failed: ${(error as Error).message.trim()}`);
  }
  const version = /(\d+\.\d+\.\d+[\w.-]*)/.exec(stdout)?.[1];
  if (version === undefined) {
    throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `\`${binary.path} --version\` printed no version: ${stdout.trim()}`);
  }
  if (compareVersions(version, MIN_CODEX_VERSION) < 0) {
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `codex ${version} at ${binary.path} is older than ${MIN_CODEX_VERSION}, the oldest this runner supports. Install @openai/codex@${MIN_CODEX_VERSION} or newer.`,
    );
  }
  return { version };
}
