import { readRegularFile } from './files';
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

/** The config file as it is on disk: every top-level section, including other Plato tools'. */
export type ConfigDocument = Record<string, unknown>;

/**
 * Reads the config file without validating its sections. A missing file is an empty document
 * when `missingOk` (a new host has none yet); bad JSON or a non-object is an error.
 */
export async function readConfigDocument(file: string, missingOk: boolean): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && missingOk) return {};
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`Config file ${file} must hold a JSON object`);
  }
  return json as ConfigDocument;
}

/**
 * Reads and validates the runner config file. A missing file at the default location is an empty
 * config (a new host has none yet); a missing file that was named explicitly (a worker's
 * `--config-path` typo), bad JSON or a bad field is an error, unless `missingOk`.
 */
export async function loadRunnerConfig(configPath?: string, missingOk = configPath === undefined): Promise<RunnerConfig> {
  const file = configPath ?? defaultConfigPath();
  const parsed = RunnerConfigSchema.safeParse(await readConfigDocument(file, missingOk));
  if (!parsed.success) throw new ConfigError(`Config file ${file} is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
