// The package root: what Plato and other callers import.
export {
  CodexRunnerClient,
  type CodexRunnerClientOptions,
  type ListTasksOptions,
  type ListTasksPageOptions,
  type TaskFilter,
  type TaskPage,
  type TaskQueueWorkers,
  type TaskSummary,
} from './client/codex-runner-client';
export { connectTemporalClient, loadTemporalTarget, type TemporalTarget } from './client/connection';
export {
  CodexRunnerError,
  TaskAlreadyExistsError,
  TaskNotFoundError,
  TemporalUnavailableError,
  ValidationError,
  WorkerUnavailableError,
  WrongStateError,
} from './client/errors';
export { eventsFromHistory } from './client/history-events';
export { LandRefusedError, type DiffFile, type Landing, type Push, type TaskDiff, type Removal, type GcOptions, type GcReport } from './client/task-work';
export * from './contracts/checks';
export type { ContextArtifact, ContextPackage, ContextPackageInput, ContextPackageRecord } from './contracts/context-package';
export * from './contracts/repo-config';
export * from './contracts/config';
export * from './contracts/errors';
export * from './contracts/events';
export * from './contracts/graph';
export * from './contracts/ids';
export * from './contracts/records';
export * from './contracts/search-attributes';
export * from './contracts/task';
export * from './orchestration';
export { createPlatoMcpServer } from './mcp/plato-mcp-server';
export { VERSION } from './version';
export { runWorker, type RunWorkerOptions } from './worker/run-worker';
export { aggregateGraphState } from './workflows/graph-scheduler';
