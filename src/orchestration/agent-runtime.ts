import type {
  CreateOrchestrationGraphInput,
  OrchestrationApprovalOptions,
  OrchestrationEvent,
  OrchestrationTaskGraphResultSnapshot,
  OrchestrationTaskGraphSnapshot,
  OrchestrationTaskListFilter,
  OrchestrationTaskRecord,
  StartOrchestrationTaskInput,
} from './contracts';

/**
 * One backend that executes tasks (the reference's `AgentRuntime`). Lookups of a task the
 * runtime does not know return `undefined`, so a router can ask runtime after runtime; commands
 * on a task it does not know throw. Records and events carry `execution.runtimeId === runtimeId`.
 */
export interface AgentRuntime {
  readonly runtimeId: string;
  readonly backend: string;
  /** Starts one task; it is admitted as `queued`. Throws when the input is refused or the id is taken. */
  startTask(input: StartOrchestrationTaskInput): Promise<OrchestrationTaskRecord>;
  /** Starts a parent task and its children; every task is admitted as `queued`. */
  createTaskGraph(input: CreateOrchestrationGraphInput): Promise<OrchestrationTaskGraphSnapshot>;
  getTask(taskId: string): Promise<OrchestrationTaskRecord | undefined>;
  /** The graph a task belongs to (by the parent's id or any child's), or undefined for an unknown id. */
  getTaskGraph(taskId: string): Promise<OrchestrationTaskGraphSnapshot | undefined>;
  /** The graph's worker results and synthesis; optional, as in the reference. */
  getTaskGraphResults?(taskId: string): Promise<OrchestrationTaskGraphResultSnapshot | undefined>;
  listTasks(filter?: OrchestrationTaskListFilter): Promise<OrchestrationTaskRecord[]>;
  /** The task's events with a sequence number above `afterSeq`, in order. */
  listEvents(taskId: string, options?: { afterSeq?: number }): Promise<OrchestrationEvent[]>;
  /** Asks the task to stop where it is (it parks as `interrupted`); accepted, not awaited. */
  interruptTask(taskId: string, options?: { reason?: string }): Promise<void>;
  /** Continues an interrupted task; returns its record after the request. */
  resumeTask(taskId: string, options?: { message?: string }): Promise<OrchestrationTaskRecord>;
  approveTaskAction?(taskId: string, options?: OrchestrationApprovalOptions): Promise<OrchestrationTaskRecord>;
  rejectTaskAction?(taskId: string, reason: string, options?: Pick<OrchestrationApprovalOptions, 'by'>): Promise<OrchestrationTaskRecord>;
}
