import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ErrorCode } from '../contracts/errors';
import { isDirectory, isFile } from './files';
import { codexRuntimeDir } from './plato-home';

const VERSION_TIMEOUT_MS = 30_000;

/**
 * Oldest codex CLI this project is tested with: the version `@openai/codex-sdk` pins, and the one
 * `codex-runner runtime install` puts into `$PLATO_HOME/runtime`.
 */
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
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CodexRuntimeError';
  }
}

/** The codex binary a session will run, and where that choice came from. */
export interface CodexBinary {
  path: string;
  /** `codex.codexPath` in the config, the `@openai/codex` beside this package, or `$PLATO_HOME/runtime`. */
  source: 'config' | 'bundled' | 'runtime';
  /**
   * Folders the package ships helper tools in (ripgrep), which the SDK puts first on codex's PATH
   * when it finds the binary itself; {@link codexProcessEnv} does the same for an override.
   */
  pathDirs: string[];
}

/**
 * Finds the binary of the `@openai/codex` package that `require` resolves from `fromFile` the way
 * `@openai/codex-sdk` does: its platform package, `vendor/<triple>/bin/codex` (or the older
 * `vendor/<triple>/codex/codex`). Returns undefined when the package or the binary is not there.
 */
function findPackagedCodex(fromFile: string): { path: string; pathDirs: string[] } | undefined {
  const triple = TARGET_TRIPLES[`${process.platform}-${process.arch}`];
  if (triple === undefined) return undefined;
  let vendorRoot: string;
  try {
    const codexRequire = createRequire(createRequire(fromFile).resolve('@openai/codex/package.json'));
    const platformPackage = `@openai/codex-${process.platform}-${process.arch}`;
    vendorRoot = path.join(path.dirname(codexRequire.resolve(`${platformPackage}/package.json`)), 'vendor', triple);
  } catch {
    return undefined;
  }
  const binaryName = process.platform === 'win32' ? 'codex.exe' : 'codex';
  const layouts = [
    { binary: path.join(vendorRoot, 'bin', binaryName), tools: path.join(vendorRoot, 'codex-path') },
    { binary: path.join(vendorRoot, 'codex', binaryName), tools: path.join(vendorRoot, 'path') },
  ];
  const found = layouts.find(({ binary }) => isFile(binary));
  return found && { path: found.binary, pathDirs: isDirectory(found.tools) ? [found.tools] : [] };
}

/** The binary `@openai/codex-sdk` spawns when no override is given, if it is installed. */
export function findBundledCodexBinary(): CodexBinary | undefined {
  const found = findPackagedCodex(__filename);
  return found && { ...found, source: 'bundled' };
}

/** The binary `codex-runner runtime install` put into `runtimeDir`, if it is there. */
export function findRuntimeCodexBinary(runtimeDir = codexRuntimeDir()): CodexBinary | undefined {
  const found = findPackagedCodex(path.join(runtimeDir, 'package.json'));
  // require() also looks in the parents' node_modules; only the runtime's own install counts.
  if (found === undefined || !found.path.startsWith(path.join(runtimeDir, 'node_modules') + path.sep)) return undefined;
  return { ...found, source: 'runtime' };
}

/**
 * The codex binary sessions on this host run, chosen the same way by the runtime check, the
 * session activity and `doctor`: `codex.codexPath` when the config names one, else the bundled
 * `@openai/codex`, else the runner-owned install in `$PLATO_HOME/runtime`.
 * @throws CodexRuntimeError `CODEX_VERIFY_FAILED` when no codex is installed.
 */
export function resolveCodexBinary(codexPath: string | undefined, runtimeDir = codexRuntimeDir()): CodexBinary {
  if (codexPath !== undefined) return { path: path.resolve(codexPath), source: 'config', pathDirs: [] };
  const binary = findBundledCodexBinary() ?? findRuntimeCodexBinary(runtimeDir);
  if (binary !== undefined) return binary;
  throw new CodexRuntimeError(
    ErrorCode.codexVerifyFailed,
    `No codex binary is installed: neither @openai/codex beside codex-runner nor ${runtimeDir} has one. Run \`codex-runner runtime install\` (it installs @openai/codex@${MIN_CODEX_VERSION} into ${runtimeDir}), or set codex.codexPath in the config file.`,
  );
}

/** The environment to spawn `binary` with: `base`, with the package's helper folders first on PATH. */
export function codexProcessEnv(binary: CodexBinary, base: NodeJS.ProcessEnv): Record<string, string> {
  const env = Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (binary.pathDirs.length === 0) return env;
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH') ?? 'PATH';
  const rest = (env[pathKey] ?? '').split(path.delimiter).filter((dir) => dir !== '' && !binary.pathDirs.includes(dir));
  env[pathKey] = [...binary.pathDirs, ...rest].join(path.delimiter);
  return env;
}

/** Starts codex niced (POSIX sh): shipped in the package's `scripts/`, beside `dist/` and `src/`. */
export const CODEX_NICED_SCRIPT = path.resolve(__dirname, '../../scripts/codex-niced.sh');

/**
 * Throws unless sessions can start through {@link CODEX_NICED_SCRIPT}: a worker checks when it
 * starts, rather than fail every turn with the spawn's EACCES or ENOENT.
 * @throws CodexRuntimeError `CODEX_VERIFY_FAILED`, saying how to do without the script.
 */
export function assertNicedLaunchWorks(script = CODEX_NICED_SCRIPT): void {
  try {
    accessSync(script, constants.X_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `Codex sessions start niced through ${script}, which cannot be run here (${why}): reinstall codex-runner, or start the worker with --session-nice 0.`,
    );
  }
}

/** Whether sessions start through {@link CODEX_NICED_SCRIPT}: `sessionNice` above 0, and not on Windows. */
export function startsNiced(sessionNice = 0): boolean {
  return sessionNice > 0 && process.platform !== 'win32';
}

/**
 * How `@openai/codex-sdk` should start `binary` for a session, with {@link codexProcessEnv}'s
 * environment: the binary itself, or, with `sessionNice` above 0 (not on Windows), through
 * {@link CODEX_NICED_SCRIPT}, which runs it that many steps below this process's CPU priority.
 * Codex and every command it runs inherit that priority.
 */
export function codexLaunch(binary: CodexBinary, base: NodeJS.ProcessEnv, sessionNice = 0): { codexPathOverride: string; env: Record<string, string> } {
  const env = codexProcessEnv(binary, base);
  if (!startsNiced(sessionNice)) return { codexPathOverride: binary.path, env };
  return {
    codexPathOverride: CODEX_NICED_SCRIPT,
    env: { ...env, CODEX_RUNNER_CODEX_BINARY: binary.path, CODEX_RUNNER_SESSION_NICE: String(sessionNice) },
  };
}

/** Compares dotted versions numerically (`0.163.0` < `0.169.1`); pre-release tags are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split('-')[0]!
      .split('.')
      .map((n) => Number.parseInt(n, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** What `<binary> --version` printed, or how it failed. */
function askVersion(binaryPath: string): Promise<{ stdout: string; stderr: string; failure?: string }> {
  return new Promise((resolve) => {
    // In the binary's folder: the process's own working directory may have been removed.
    execFile(binaryPath, ['--version'], { cwd: path.dirname(binaryPath), timeout: VERSION_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) return resolve({ stdout, stderr });
      const failure =
        error.killed && error.signal === 'SIGTERM'
          ? `no answer within ${VERSION_TIMEOUT_MS / 1000} s`
          : typeof error.code === 'number'
            ? `exit code ${error.code}`
            : error.signal
              ? `ended by ${error.signal}`
              : error.message;
      resolve({ stdout, stderr, failure });
    });
  });
}

/**
 * Runs `<binary> --version` and checks it against {@link MIN_CODEX_VERSION}.
 * @throws CodexRuntimeError with `CODEX_VERIFY_FAILED` when the binary is missing, does not run,
 *   prints no version, or is too old.
 */
export async function verifyCodexBinary(binary: Pick<CodexBinary, 'path' | 'source'>): Promise<{ version: string }> {
  if (!isFile(binary.path)) {
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `The codex binary ${binary.path} does not exist${binary.source === 'config' ? ' (codex.codexPath in the config file)' : ''}.`,
    );
  }
  const run = await askVersion(binary.path);
  if (run.failure !== undefined) {
    const stderr = run.stderr.trim();
    throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `\`${binary.path} --version\` failed: ${run.failure}${stderr ? `: ${stderr}` : ''}`);
  }
  const version = /(\d+\.\d+\.\d+[\w.-]*)/.exec(run.stdout)?.[1];
  if (version === undefined) {
    throw new CodexRuntimeError(ErrorCode.codexVerifyFailed, `\`${binary.path} --version\` printed no version: ${run.stdout.trim()}`);
  }
  if (compareVersions(version, MIN_CODEX_VERSION) < 0) {
    throw new CodexRuntimeError(
      ErrorCode.codexVerifyFailed,
      `codex ${version} at ${binary.path} is older than ${MIN_CODEX_VERSION}, the oldest this runner supports. Install @openai/codex@${MIN_CODEX_VERSION} or newer (\`codex-runner runtime install\`), or point codex.codexPath at a newer codex.`,
    );
  }
  return { version };
}
