#!/usr/bin/env node
import { CommanderError } from 'commander';
import { describeFailure, ExitCode, formatFailure, jsonRequested } from './failure';
import { buildProgram } from './program';
import { processIO } from './output';

/**
 * Runs the CLI; resolves to the exit code (see {@link ExitCode}). An error is one line on stderr,
 * `CODE: message`, or with `--json` anywhere on the command line one JSON document.
 */
export async function runCli(argv: string[], io = processIO): Promise<number> {
  const json = jsonRequested(argv);
  try {
    await buildProgram(io, { json }).parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    // --help and --version end the parse with a CommanderError whose exit code is 0.
    if (error instanceof CommanderError && error.exitCode === 0) return ExitCode.ok;
    const failure = describeFailure(error);
    io.stderr(formatFailure(failure, json));
    return failure.exitCode;
  }
}

if (require.main === module) {
  // A reader that stops early (`codex-runner --help | head`) ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(ExitCode.ok);
  });
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
