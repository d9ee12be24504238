// The orchestration boundary Plato codes against: neutral contracts, the runtime interface, the
// router over runtimes, and the codex-runner adapter.
export * from './contracts';
export { AgentRuntimeNotRegisteredError, AgentRuntimeUnsupportedError } from './errors';
export { TaskOrchestrationService, type TaskOrchestrationServiceOptions, type WithRuntime } from './task-orchestration-service';
export { CODEX_BACKEND, CodexRunnerAgentRuntime, type CodexRunnerAgentRuntimeClient, type CodexRunnerAgentRuntimeOptions } from './codex-runner-agent-runtime';
