import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunnerConfig } from '../contracts/config';
import { platoHome } from '../host/plato-home';
import { offlineAgentStep } from './offline-agent';
import { ScriptedModelServer } from './scripted-model-server';

/** The model provider id the offline worker's sessions use; codex and `doctor` name it. */
export const OFFLINE_PROVIDER_ID = 'codex-runner-scripted';

/** The offline worker's model: a scripted model server on 127.0.0.1 and the codex setup that reaches it. */
export interface OfflineModel {
  /** The config the worker's sessions run with: the host's own, its model provider replaced by this server. */
  applyTo(config: RunnerConfig): RunnerConfig;
  /** CODEX_HOME (and TMPDIR) of the offline sessions, apart from the user's own `~/.codex`. */
  codexEnv: Record<string, string>;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the offline worker's model (see offline-agent.ts). Its sessions keep their threads in a
 * CODEX_HOME of their own under `$PLATO_HOME/scripted-model`, so a worker restart resumes them
 * and the user's own Codex history never holds them. Its TMPDIR is a sibling of that CODEX_HOME:
 * codex will not create its helper commands when CODEX_HOME is inside TMPDIR.
 */
export async function startOfflineModel(): Promise<OfflineModel> {
  const root = path.join(platoHome(), 'scripted-model');
  const codexHome = path.join(root, 'codex-home');
  const tmpDir = path.join(root, 'tmp');
  await Promise.all([mkdir(codexHome, { recursive: true }), mkdir(tmpDir, { recursive: true })]);
  const server = await ScriptedModelServer.start({ respond: offlineAgentStep, log: false });
  const codexConfig = server.codexConfig({ providerId: OFFLINE_PROVIDER_ID });
  return {
    applyTo: (config) => ({ ...config, codex: { ...config.codex, config: { ...config.codex?.config, ...codexConfig } } }),
    codexEnv: { CODEX_HOME: codexHome, TMPDIR: tmpDir },
    baseUrl: server.baseUrl,
    stop: () => server.stop(),
  };
}
