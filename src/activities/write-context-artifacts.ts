import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { artifactPath, type ContextArtifact } from '../contracts/context-package';

export interface WriteContextArtifactsInput {
  worktreePath: string;
  artifacts: ContextArtifact[];
}

/**
 * Writes a task's context artifacts into its worktree under `.plato/context/`, where the agent
 * can read them; `.plato/` is excluded from git, so they never reach the task's commit.
 * Idempotent: a retry writes the same files again.
 */
export async function writeContextArtifacts(input: WriteContextArtifactsInput): Promise<string[]> {
  const written: string[] = [];
  for (const artifact of input.artifacts) {
    const relative = artifactPath(artifact);
    const file = path.join(input.worktreePath, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, artifact.content);
    written.push(relative);
  }
  return written;
}
