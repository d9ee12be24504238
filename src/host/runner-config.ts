import { readFile } from 'node:fs/promises';
import { RunnerConfigSchema, type RunnerConfig } from '../contracts/config';
import { ErrorCode } from '../contracts/errors';
import { describeIssues } from '../contracts/validation';
import { defaultConfigPath } from './plato-home';

export class ConfigError extends Error {
  readonly code = ErrorCode.configInvalid;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the runner config file. A missing file at the default location is an empty config (a new
 * host has none yet); a missing file that was named explicitly, bad JSON or a bad field is an error.
 */
export async function loadRunnerConfig(configPath?: string): Promise<RunnerConfig> {
  const file = configPath ?? defaultConfigPath();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) return {};
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = RunnerConfigSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`Config file ${file} is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
