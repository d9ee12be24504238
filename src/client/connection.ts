import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { TemporalUnavailableError } from './errors';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export interface TemporalTarget {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  address: string;
}

/**
 * Where Temporal is, from the standard environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS settings, `TEMPORAL_PROFILE` and the
 * `temporal.toml` profiles), so the same commands work against the dev server, a self-hosted
 * cluster or Temporal Cloud. Default: `localhost:7233`, namespace `default`.
 */
export function loadTemporalTarget(): TemporalTarget {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  return { connectionOptions: { ...connectionOptions, address }, namespace: namespace ?? 'default', address };
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
