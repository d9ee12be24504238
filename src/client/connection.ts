import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_TEMPORAL_ADDRESS } from '../contracts/ids';
import { TemporalUnavailableError, ValidationError } from './errors';

export interface TemporalTarget {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  address: string;
}

/** What a caller sets over the environment configuration (the CLI's `--address`, `--namespace` and `--profile`). */
export interface TemporalOverrides {
  address?: string;
  namespace?: string;
  /** The `temporal.toml` profile to read instead of `TEMPORAL_PROFILE`'s (or `default`). */
  profile?: string;
}

/**
 * Where Temporal is, from the standard environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS settings, `TEMPORAL_PROFILE` and the
 * `temporal.toml` profiles), so the same commands work against the dev server, a self-hosted
 * cluster or Temporal Cloud; `overrides` win over all of it. Default: `localhost:7233`,
 * namespace `default`.
 * @throws ValidationError when the profile asked for is not in the configuration file, or that file cannot be read.
 */
export function loadTemporalTarget(overrides: TemporalOverrides = {}): TemporalTarget {
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig(overrides.profile === undefined ? {} : { profile: overrides.profile });
  } catch (error) {
    throw new ValidationError(`Cannot read Temporal's environment configuration: ${(error as Error).message}`);
  }
  const address = overrides.address ?? config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = overrides.namespace ?? config.namespace ?? 'default';
  return { connectionOptions: { ...config.connectionOptions, address }, namespace, address };
}

/**
 * Connects a Temporal client.
 * @throws TemporalUnavailableError when the server does not answer (the message says how to start one).
 */
export async function connectTemporalClient(target: TemporalTarget = loadTemporalTarget()): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connectionOptions, connectTimeout: '5 seconds' });
  } catch (error) {
    throw new TemporalUnavailableError(target.address, error);
  }
  return new Client({ connection, namespace: target.namespace });
}
