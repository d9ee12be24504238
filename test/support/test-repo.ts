import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';

/** A fresh repository in a temp folder (`main`, a local identity) whose one commit holds `files` (paths may have folders). */
export async function makeTestRepo(prefix: string, files: Record<string, string>): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), prefix));
  const git = simpleGit(repo);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Test');
  await git.addConfig('user.email', 'test@example.invalid');
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
    await writeFile(path.join(repo, file), content);
  }
  await git.add('.');
  await git.commit('base');
  return repo;
}
