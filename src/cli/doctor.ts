import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { connectTemporalClient, type TemporalTarget } from '../client/connection';
import { CodexRunnerClient } from '../client/codex-runner-client';
import { checkRepository } from '../client/repository-check';
import { REPO_CONFIG_FILE, resolveChecks } from '../contracts/repo-config';
import { runGit } from '../host/git';
import { readRepoConfigAt } from '../host/repo-config-file';
import { DEFAULT_TASK_QUEUE, startWorkerCommand } from '../contracts/ids';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { MIN_CODEX_VERSION, resolveCodexBinary, verifyCodexBinary } from '../host/codex-binary';
import { checkCodexCredentials, resolveOpenAIApiKey } from '../host/credentials';
import { defaultSecretsPath } from '../host/plato-home';
import { loadRunnerConfig } from '../host/runner-config';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check fails. */
  fix?: string;
  /** A finding about the cluster rather than this host: reported, but it does not fail doctor. */
  advisory?: boolean;
}

export interface DoctorOptions {
  target: TemporalTarget;
  /** The task queue whose workers to look for (default `codex-runner`). */
  taskQueue?: string;
  configPath?: string;
  secretsPath?: string;
  /** A repository whose committed `.codex-runner.yaml` to check. */
  repoPath?: string;
}

async function checkTemporal(target: TemporalTarget, taskQueue: string): Promise<DoctorCheck[]> {
  let client;
  try {
    client = await connectTemporalClient(target);
  } catch (error) {
    return [
      {
        name: 'temporal',
        ok: false,
        detail: `Temporal is not reachable at ${target.address} (namespace ${target.namespace})`,
        fix: 'Start the embedded dev server with `./temporal-dev.sh start`, or point --address and --namespace (or TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY) at your cluster',
      },
      { name: 'search attributes', ok: false, detail: `not checked: ${(error as Error).message.split(':')[0]}` },
    ];
  }
  try {
    const temporalCheck: DoctorCheck = { name: 'temporal', ok: true, detail: `reachable at ${target.address}, namespace ${target.namespace}` };
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: target.namespace });
    const missing = CUSTOM_SEARCH_ATTRIBUTES.filter(({ name }) => !(name in (customAttributes ?? {})));
    const attributesCheck: DoctorCheck =
      missing.length === 0
        ? { name: 'search attributes', ok: true, detail: CUSTOM_SEARCH_ATTRIBUTES.map(({ name }) => name).join(', ') }
        : {
            name: 'search attributes',
            ok: false,
            detail: `missing in namespace ${target.namespace}: ${missing.map(({ name }) => name).join(', ')}`,
            fix: [
              'Register them (the dev server: `./temporal-dev.sh start` does it):',
              ...missing.map(({ name, type }) => `  temporal operator search-attribute create --namespace ${target.namespace} --name ${name} --type ${type}`),
            ].join('\n'),
          };
    return [temporalCheck, attributesCheck, await checkWorkers(new CodexRunnerClient(client), taskQueue)];
  } finally {
    await client.connection.close();
  }
}

/** Whether a worker polls the task queue: without one, tasks wait and live tasks cannot be read. */
async function checkWorkers(client: CodexRunnerClient, taskQueue: string): Promise<DoctorCheck> {
  const workers = await client.findWorkers(taskQueue);
  if (workers.polling.length > 0) {
    return { name: 'worker', ok: true, detail: `task queue ${taskQueue} is polled by ${workers.polling.join(', ')}`, advisory: true };
  }
  return {
    name: 'worker',
    ok: false,
    advisory: true,
    detail: `no worker is polling task queue ${taskQueue}${workers.lastPolledAt ? ` (last polled ${workers.lastPolledAt})` : ''}: tasks started there wait for one, and a live task cannot be read`,
    fix: `Start one: \`${startWorkerCommand(taskQueue)}\``,
  };
}

async function checkCodex(options: DoctorOptions): Promise<DoctorCheck[]> {
  let config;
  try {
    config = await loadRunnerConfig(options.configPath);
  } catch (error) {
    return [{ name: 'config', ok: false, detail: (error as Error).message, fix: 'Fix the config file or pass --config-path' }];
  }
  const checks: DoctorCheck[] = [];
  try {
    const binary = resolveCodexBinary(config.codex?.codexPath);
    const { version } = await verifyCodexBinary(binary);
    checks.push({ name: 'codex', ok: true, detail: `codex ${version} at ${binary.path} (${binary.source})` });
  } catch (error) {
    checks.push({
      name: 'codex',
      ok: false,
      detail: (error as Error).message,
      fix: `Run \`codex-runner runtime install\` (it installs @openai/codex@${MIN_CODEX_VERSION} into $PLATO_HOME/runtime), or set codex.codexPath in the config file to a codex binary`,
    });
  }
  let apiKey: string | undefined;
  try {
    apiKey = await resolveOpenAIApiKey(config, options.secretsPath);
  } catch (error) {
    checks.push({ name: 'secrets', ok: false, detail: (error as Error).message, fix: 'Fix the secrets file or pass --secrets-path' });
  }
  const credentials = checkCodexCredentials({ config, apiKey, env: process.env });
  checks.push({ name: 'credentials', ...credentials });
  const secretsPath = options.secretsPath ?? defaultSecretsPath();
  const found = existsSync(secretsPath) ? statSync(secretsPath) : undefined;
  if (found !== undefined && !found.isFile()) {
    checks.push({
      name: 'secrets',
      ok: false,
      detail: `${secretsPath} is not a regular file`,
      fix: 'Point --secrets-path at the secrets file (JSON), or remove what is there',
    });
    return checks;
  }
  const mode = found === undefined ? undefined : found.mode & 0o777;
  if (mode !== undefined && (mode & 0o077) !== 0) {
    checks.push({
      name: 'secrets',
      ok: false,
      detail: `${secretsPath} is readable by other users (mode ${mode.toString(8)})`,
      fix: `chmod 600 ${secretsPath}`,
    });
  }
  return checks;
}

/** Everything a host needs before tasks can run, each with the fix when it is missing. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const [temporal, codex, repo] = await Promise.all([
    checkTemporal(options.target, options.taskQueue ?? DEFAULT_TASK_QUEUE),
    checkCodex(options),
    options.repoPath === undefined ? undefined : checkRepoConfig(options.repoPath),
  ]);
  return [...temporal, ...codex, ...(repo ? [repo] : [])];
}

/** The repository's `.codex-runner.yaml` as tasks will read it: committed at HEAD. */
async function checkRepoConfig(repoPath: string): Promise<DoctorCheck> {
  const name = 'repository config';
  let repo: string;
  try {
    repo = (await checkRepository({ repoPath })).repoPath!;
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, fix: `Fix ${REPO_CONFIG_FILE}, commit it, and check again` };
  }
  const config = await readRepoConfigAt(repo, 'HEAD');
  if (config === undefined) return { name, ok: true, detail: `${repo} has no ${REPO_CONFIG_FILE} at HEAD: no setup, copy or verify commands` };
  const checks = resolveChecks(config, undefined);
  const parts = [
    `setup ${checks.setup.length ? checks.setup.map((command) => `\`${command}\``).join(', ') : 'none'}`,
    `copy ${checks.copy.length ? checks.copy.join(', ') : 'none'}`,
    `verify ${checks.verify.length ? checks.verify.map((command) => `\`${command}\``).join(', ') : 'none'}`,
    `maxVerifyTurns ${checks.maxVerifyTurns}`,
    `commandTimeout ${checks.commandTimeout}`,
  ];
  const uncommitted = existsSync(path.join(repo, REPO_CONFIG_FILE)) && (await runGit(repo, ['diff', '--quiet', 'HEAD', '--', REPO_CONFIG_FILE])).code !== 0;
  return {
    name,
    ok: true,
    detail: `${REPO_CONFIG_FILE} at HEAD: ${parts.join('; ')}${uncommitted ? ` (the file in the checkout differs: tasks read the committed one)` : ''}`,
  };
}
