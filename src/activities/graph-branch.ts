import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorCode } from '../contracts/errors';
import type { GraphConflict } from '../contracts/graph';
import { graphBranchName } from '../contracts/ids';
import { repositoryOf, type RepoRef } from '../contracts/repository';
import { commitOf, mergeCommits, setBranch } from '../host/git';
import { pushBranch } from '../host/repo-mirror';
import { repositoryOnHost } from './repository-on-host';
import { heartbeatWhile } from './heartbeat-while';

export interface ResolveGraphBaseInput extends RepoRef {
  baseRef?: string;
}

/**
 * The commit a graph starts from, resolved once when the graph starts, so every child without
 * prerequisites starts from the same commit even if the repository's HEAD moves meanwhile.
 */
export async function resolveGraphBase(input: ResolveGraphBaseInput): Promise<string> {
  const sha = await commitOf(await repositoryOnHost(input, { fresh: true }), input.baseRef ?? 'HEAD');
  if (sha === undefined) {
    throw ApplicationFailure.nonRetryable(`${input.baseRef ?? 'HEAD'} names no commit in ${repositoryOf(input)}`, ErrorCode.worktreeProvisioningFailed);
  }
  return sha;
}

export interface MergeGraphBranchInput extends RepoRef {
  parentTaskId: string;
  baseSha: string;
  /** Completed children's commits, in dependency order. */
  commits: { taskId: string; commitSha: string }[];
  /** Date of the merge commits (fixed by the workflow, so a retry makes the same commits). */
  date: string;
}

export interface GraphBranch {
  branchName: string;
  commitSha: string;
  mergedTaskIds: string[];
  conflicts: GraphConflict[];
}

/**
 * Merges the completed children's work, in dependency order, into `plato/graph-<parentId>`. A
 * child whose work conflicts with what is merged so far is left out and reported, and the rest
 * still merge. The merges happen in the object database (no worktree), and the branch is set
 * in one ref transaction at the end, so a retry recomputes the same commits and nothing is
 * half-done. A repository named by its URL is merged in this host's mirror, which fetches the
 * children's pushed commits it lacks, and the branch is pushed there. It heartbeats, so the merge of a worker that died is retried once the heartbeat
 * timeout passes.
 */
export function mergeGraphBranch(input: MergeGraphBranchInput): Promise<GraphBranch> {
  return heartbeatWhile(Context.current(), `merging ${input.commits.length} commit(s)`, MERGE_HEARTBEAT_MS, () => merge(input));
}

/** Heartbeat period of a graph merge (its heartbeat timeout is in the graph workflow). */
const MERGE_HEARTBEAT_MS = 5_000;

async function merge(input: MergeGraphBranchInput): Promise<GraphBranch> {
  const repoPath = await repositoryOnHost(input, { commits: [input.baseSha, ...input.commits.map(({ commitSha }) => commitSha)] });
  let head = input.baseSha;
  const mergedTaskIds: string[] = [];
  const conflicts: GraphConflict[] = [];
  for (const { taskId, commitSha } of input.commits) {
    const outcome = await mergeCommits(repoPath, head, commitSha, `codex-runner: merge ${taskId} into graph ${input.parentTaskId}`, input.date);
    if (outcome.merged) {
      head = outcome.sha;
      mergedTaskIds.push(taskId);
    } else {
      conflicts.push({ taskId, files: outcome.conflictedFiles });
    }
  }
  const branchName = graphBranchName(input.parentTaskId);
  await setBranch(repoPath, branchName, head);
  if (input.repoUrl !== undefined) await pushBranch(repoPath, head, branchName, { force: true });
  return { branchName, commitSha: head, mergedTaskIds, conflicts };
}
