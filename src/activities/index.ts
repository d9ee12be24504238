import { createCheckCodexRuntime } from './check-codex-runtime';
import { commitTaskWork } from './commit-task-work';
import { findTakenTaskIds } from './find-taken-task-ids';
import { mergeGraphBranch, resolveGraphBase } from './graph-branch';
import type { HostSettings } from './host-settings';
import { hostHasWorkers } from './host-liveness';
import { createPlaceTask } from './place-task';
import { provisionWorktree } from './provision-worktree';
import { copyIntoWorktree, readRepoConfig } from './repo-setup';
import { runChecks } from './run-checks';
import { createRunCodexTurn } from './run-codex-turn';
import { writeContextArtifacts } from './write-context-artifacts';

export type { HostSettings } from './host-settings';
export type { TaskCommit } from './commit-task-work';
export type { GraphBranch } from './graph-branch';
export type { WorktreeAllocation } from './provision-worktree';
export type { CodexTurnResult } from './run-codex-turn';
export type { ChecksRun } from './run-checks';
export type { Placement } from './place-task';

/** Every activity this project registers, bound to the worker host's settings. */
export function createActivities(settings: HostSettings) {
  return {
    checkCodexRuntime: createCheckCodexRuntime(settings),
    provisionWorktree,
    runCodexTurn: createRunCodexTurn(settings),
    commitTaskWork,
    resolveGraphBase,
    mergeGraphBranch,
    writeContextArtifacts,
    findTakenTaskIds,
    readRepoConfig,
    copyIntoWorktree,
    runChecks,
    placeTask: createPlaceTask(settings),
    hostHasWorkers,
  };
}

export type Activities = ReturnType<typeof createActivities>;
