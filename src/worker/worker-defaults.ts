/**
 * The worker's defaults, apart from its code so that `codex-runner worker --help` can show them
 * without loading the Temporal worker.
 */

export const DEFAULT_MAX_CONCURRENT_TASKS = 4;

/**
 * Sessions run niced by default so that, when the cores are short, the agents' work waits and
 * the orchestration does not wait behind it: this worker and its git commands keep their
 * priority, so a finished task's dependents are released, and an interrupt or approval acted on,
 * without queueing behind codex (see docs/decisions/0005-niced-sessions.md). On an idle host
 * niceness changes nothing.
 */
export const DEFAULT_SESSION_NICE = 10;
