import { parse as parseYaml } from 'yaml';
import { parseRepoConfig, REPO_CONFIG_FILE, type RepoConfig } from '../contracts/repo-config';
import { git, runGit } from './git';

/**
 * The repository's `.codex-runner.yaml` as committed at `commit` (a commit id or a ref);
 * `undefined` when that commit has no such file.
 * @throws RepoConfigError naming the file, the commit and the field.
 */
export async function readRepoConfigAt(repoPath: string, commit: string): Promise<RepoConfig | undefined> {
  const spec = `${commit}:${REPO_CONFIG_FILE}`;
  if ((await runGit(repoPath, ['cat-file', '-e', spec])).code !== 0) return undefined;
  const label = /^[0-9a-f]{40,64}$/.test(commit) ? commit.slice(0, 12) : commit;
  return parseRepoConfig(await git(repoPath, ['show', spec]), `${REPO_CONFIG_FILE} at ${label}`, parseYaml);
}
