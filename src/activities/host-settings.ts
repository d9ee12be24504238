import type { RunnerConfig } from '../contracts/config';
import type { HostLoad } from './host-load';

/**
 * What activities read from the worker host. Loaded when an activity needs it (not once at
 * startup), so an operator's config change reaches the next turn without a worker restart, and
 * credentials are read at the moment a turn starts codex — never passed through Temporal.
 */
export interface HostSettings {
  loadConfig(): Promise<RunnerConfig>;
  /** The OpenAI API key configured on this host, if any. */
  loadApiKey(): Promise<string | undefined>;
  /** Environment for codex processes (CODEX_HOME and the like); the worker's own when omitted. */
  codexEnv?: Record<string, string>;
  /** Steps below the worker's CPU priority that codex runs at (`worker --session-nice`); 0 or absent: the worker's own. */
  sessionNice?: number;
  /** The worker's host in a pool: its name, and its session slots as placement counts them. */
  host?: { name: string; load: HostLoad };
}
