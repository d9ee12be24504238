import path from 'node:path';
import type { Command } from 'commander';
import { findRuntimeCodexBinary, MIN_CODEX_VERSION, verifyCodexBinary } from '../host/codex-binary';
import { installCodexRuntime } from '../host/codex-runtime-install';
import { codexRuntimeDir } from '../host/plato-home';
import { printJson, type CliIO } from './output';

/**
 * `codex-runner runtime install`: puts the pinned `@openai/codex` into the runner-owned folder
 * (`$PLATO_HOME/runtime`), which sessions use when the `@openai/codex` beside codex-runner is
 * missing (e.g. installed with optional dependencies omitted).
 */
export function registerRuntimeCommands(program: Command, io: CliIO): void {
  const runtime = program.command('runtime').description('The codex binary this host runs');

  runtime
    .command('install')
    .description(`Install @openai/codex@${MIN_CODEX_VERSION} into $PLATO_HOME/runtime (from the npm registry or npm's cache) and verify it`)
    .option('--runtime-dir <dir>', 'install here instead of $PLATO_HOME/runtime')
    .option('--force', 'reinstall even when a verified runtime is already there')
    .option('--json', 'print JSON')
    .action(async (flags: { runtimeDir?: string; force?: boolean; json?: boolean }) => {
      const runtimeDir = path.resolve(flags.runtimeDir ?? codexRuntimeDir());
      const existing = flags.force ? undefined : findRuntimeCodexBinary(runtimeDir);
      const current = existing && (await verifyCodexBinary(existing).catch(() => undefined));
      if (existing && current?.version === MIN_CODEX_VERSION) {
        if (flags.json) printJson(io, { runtime: { ...existing, ...current, runtimeDir, installed: false } });
        else io.stdout(`codex ${current.version} is already installed at ${existing.path}\n`);
        return;
      }
      if (!flags.json) io.stdout(`Installing @openai/codex@${MIN_CODEX_VERSION} into ${runtimeDir}…\n`);
      const installed = await installCodexRuntime({ runtimeDir });
      if (flags.json) printJson(io, { runtime: { ...installed, installed: true } });
      else io.stdout(`Installed codex ${installed.version} at ${installed.path}\n`);
    });
}
