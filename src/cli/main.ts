#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program';
import { processIO } from './output';

/** Runs the CLI; resolves to the exit code. Errors become one line on stderr. */
export async function runCli(argv: string[], io = processIO): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`Error: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
