import { existsSync } from 'node:fs';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RepoRef } from '../contracts/repository';
import type { HostSettings } from './host-settings';

export interface PlaceTaskInput extends RepoRef {
  taskId: string;
}

export interface Placement {
  /** The host the task's worktree, checks and turns stay on. */
  host: string;
}

/**
 * Placement attempts (retried at most 5 s apart: about 10 minutes) that pass over a host without
 * the task's repository before one takes the task anyway, and its provisioning fails with the
 * reason. A client checks the path before it starts a task, so this is a path that vanished, or
 * a pool whose hosts do not share it; a host that has it may be full for a while meanwhile.
 */
const ATTEMPTS_BEFORE_ANY_HOST = 120;

/** How often a placement waiting for a slot looks again (a reservation may expire unseen) and heartbeats. */
const WAIT_STEP_MS = 2_000;

/**
 * Places a task on this host, once it has a free session slot (see HostLoad) and the task's
 * repository at hand. It runs on the placement queue every host polls with one slot: a host holds
 * at most one placement while it waits for a slot, and the others stay in the queue, in the order
 * they were scheduled, for whichever host frees a slot first. A host without the repository
 * refuses with a retryable failure, so the next attempt goes to another host.
 */
export function createPlaceTask(settings: HostSettings) {
  return async function placeTask(input: PlaceTaskInput): Promise<Placement> {
    const { host } = settings;
    if (!host) throw ApplicationFailure.nonRetryable('placeTask needs a worker with a host name', 'HOST_UNNAMED');
    const context = Context.current();
    // A repository named by its URL is reachable from every host (each keeps a mirror).
    if (input.repoPath !== undefined && !existsSync(input.repoPath) && context.info.attempt < ATTEMPTS_BEFORE_ANY_HOST) {
      throw ApplicationFailure.retryable(`Host ${host.name} has no ${input.repoPath}`, 'HOST_LACKS_REPOSITORY');
    }
    while (!host.load.reserve(input.taskId)) {
      context.heartbeat();
      await Promise.race([host.load.whenFree(WAIT_STEP_MS), context.cancelled]);
    }
    return { host: host.name };
  };
}
