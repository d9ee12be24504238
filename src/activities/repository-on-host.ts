import path from 'node:path';
import type { RepoRef } from '../contracts/repository';
import { mirrorOf, type MirrorNeeds } from '../host/repo-mirror';

/**
 * Where this host has a task's repository: the path it was named by, or this host's mirror of
 * its URL (see repo-mirror.ts), fetched as `needs` asks.
 * @throws Error (retryable) when git cannot read the URL or a needed commit is not there yet.
 */
export function repositoryOnHost(ref: RepoRef, needs: MirrorNeeds = {}): Promise<string> {
  return ref.repoUrl === undefined ? Promise.resolve(path.resolve(ref.repoPath!)) : mirrorOf(ref.repoUrl, needs);
}
