import { z } from 'zod';
import {
  CreateOrchestrationGraphChildInputSchema,
  OrchestrationTaskListFilterSchema,
  StartOrchestrationTaskInputSchema,
  type AgentRuntimeSelector,
} from '../orchestration/contracts';
import type { TaskOrchestrationService } from '../orchestration/task-orchestration-service';
import { TaskNotFoundError } from '../client/errors';
import { waitForTask, type ToolCallContext } from './wait-for-task';

/**
 * The reference's eleven `plato.*` operations as MCP tools (seed §10.3, §5.4), and
 * `plato.get_task_diff` (an agent reviews a subtask's work without a shell) and
 * `plato.retry_task`, `plato.add_subtasks`, `plato.cancel_task`,
 * `plato.request_task_changes` and `plato.wait_for_task`: names,
 * descriptions and read-only flags as the reference has them, zod input schemas, and the
 * reference MCP server's results (the task, graph or list itself; interrupt answers
 * `{ taskId, interrupted: true }`).
 */
export interface PlatoTool<S extends z.ZodObject = z.ZodObject> {
  name: `plato.${string}`;
  description: string;
  readOnly: boolean;
  inputSchema: S;
  run(service: TaskOrchestrationService, input: z.output<S>, context: ToolCallContext): Promise<unknown>;
}

const RuntimeIdField = z.string().trim().min(1).optional().describe('Agent runtime to use (default: the server default, or the runtime that owns the task)');
const TaskIdField = z.string().min(1).describe('Task id');

const TaskLookupSchema = z.object({ taskId: TaskIdField, runtimeId: RuntimeIdField }).strict();

/** The start input without `agent`, plus `runtimeId`, as the reference's surface takes it. */
const StartTaskSchema = StartOrchestrationTaskInputSchema.omit({ agent: true }).extend({ runtimeId: RuntimeIdField });

/** `undefined` for an absent or empty runtime id (the reference's `selectorForRuntime`). */
export function selectorForRuntime(runtimeId: string | undefined): AgentRuntimeSelector | undefined {
  return runtimeId ? { runtimeId } : undefined;
}

function withAgent<T extends { runtimeId?: string | undefined }>({ runtimeId, ...input }: T) {
  const agent = selectorForRuntime(runtimeId);
  return { ...input, ...(agent ? { agent } : {}) };
}

/** The value, or TaskNotFoundError when a lookup found nothing. */
export function found<T>(taskId: string, value: T | undefined): T {
  if (value === undefined) throw new TaskNotFoundError(taskId);
  return value;
}

function tool<S extends z.ZodObject>(definition: PlatoTool<S>): PlatoTool {
  return definition;
}

export const PLATO_TOOLS: readonly PlatoTool[] = [
  tool({
    name: 'plato.start_task',
    description: 'Start a single orchestration task on the selected agent runtime.',
    readOnly: false,
    inputSchema: StartTaskSchema,
    run: (service, input) => service.startTask(withAgent(input)),
  }),
  tool({
    name: 'plato.create_task_graph',
    description: 'Start a parent task and child task graph on the selected agent runtime.',
    readOnly: false,
    inputSchema: z
      .object({
        parent: StartTaskSchema,
        children: z.array(CreateOrchestrationGraphChildInputSchema).min(1, 'a graph needs at least one child'),
        maxConcurrentTasks: z.number().int().min(1).optional(),
      })
      .strict(),
    run: (service, { parent, ...graph }) => service.createTaskGraph({ ...graph, parent: withAgent(parent) }),
  }),
  tool({
    name: 'plato.get_task',
    description: 'Inspect one orchestration task.',
    readOnly: true,
    inputSchema: TaskLookupSchema,
    run: async (service, { taskId, runtimeId }) => found(taskId, await service.getTask(taskId, selectorForRuntime(runtimeId))),
  }),
  tool({
    name: 'plato.get_task_graph',
    description: 'Inspect one orchestration task graph.',
    readOnly: true,
    inputSchema: TaskLookupSchema,
    run: async (service, { taskId, runtimeId }) => found(taskId, await service.getTaskGraph(taskId, selectorForRuntime(runtimeId))),
  }),
  tool({
    name: 'plato.get_task_graph_results',
    description: 'Inspect collected worker results and parent synthesis for a graph.',
    readOnly: true,
    inputSchema: TaskLookupSchema,
    run: async (service, { taskId, runtimeId }) => found(taskId, await service.getTaskGraphResults(taskId, selectorForRuntime(runtimeId))),
  }),
  tool({
    name: 'plato.list_tasks',
    description: 'List orchestration tasks, optionally filtered by runtime or state.',
    readOnly: true,
    inputSchema: OrchestrationTaskListFilterSchema.extend({ runtimeId: RuntimeIdField }),
    run: (service, { runtimeId, ...filter }) => service.listTasks({ ...filter, ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.list_task_events',
    description: 'List events for one orchestration task.',
    readOnly: true,
    inputSchema: TaskLookupSchema.extend({ afterSeq: z.number().int().min(0).optional().describe('Only events after this sequence number') }),
    run: (service, { taskId, runtimeId, afterSeq }) =>
      service.listEvents(taskId, { ...(afterSeq === undefined ? {} : { afterSeq }), ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.cancel_task',
    description: "Cancel a task: its session is aborted, its worktree kept; on a graph's parent, every child that has not ended.",
    readOnly: false,
    inputSchema: TaskLookupSchema,
    run: async (service, { taskId, runtimeId }) => {
      await service.cancelTask(taskId, selectorForRuntime(runtimeId));
      return { taskId, cancelRequested: true };
    },
  }),
  tool({
    name: 'plato.request_task_changes',
    description: 'Send a task awaiting approval back for another turn on the same thread, with what to change.',
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ message: z.string().trim().min(1, 'message must not be empty'), by: z.string().optional() }),
    run: (service, { taskId, runtimeId, message, by }) =>
      service.requestTaskChanges(taskId, message, { ...(by ? { by } : {}), ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.add_subtasks',
    description:
      "Add child tasks to a running task graph: they are scheduled like its other children and may depend on children that already completed (they start from those children's work).",
    readOnly: false,
    inputSchema: z
      .object({
        parentTaskId: z.string().min(1),
        children: z.array(CreateOrchestrationGraphChildInputSchema).min(1, 'add at least one child'),
        runtimeId: RuntimeIdField,
      })
      .strict(),
    run: (service, { parentTaskId, children, runtimeId }) => service.addSubtasks(parentTaskId, children, selectorForRuntime(runtimeId)),
  }),
  tool({
    name: 'plato.retry_task',
    description:
      "Run a failed or cancelled task again, in its worktree and on its Codex thread, optionally with a new instruction. A graph's parent runs its graph again: completed children carry over.",
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ message: z.string().optional().describe('Instruction for the retried run (default: finish the task)') }),
    run: (service, { taskId, runtimeId, message }) => service.retryTask(taskId, { ...(message ? { message } : {}), ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.get_task_diff',
    description:
      "Show what a task (or a graph, its merged branch) changed: each file with its lines added and deleted, and the patch from the task's base to its commit.",
    readOnly: true,
    inputSchema: TaskLookupSchema,
    run: (service, { taskId, runtimeId }) => service.getTaskDiff(taskId, selectorForRuntime(runtimeId)),
  }),
  tool({
    name: 'plato.wait_for_task',
    description:
      'Wait until a task needs attention or has ended (awaiting_approval, interrupted, completed, failed, cancelled), with a progress notification for each of its events. Answers with the task and settled: true, or settled: false when timeoutSeconds passed first (call again to keep waiting).',
    readOnly: true,
    inputSchema: TaskLookupSchema.extend({
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(50)
        .describe('Longest wait in seconds (default 50, under the 60 s tool-call timeout many MCP clients keep)'),
    }),
    run: (service, { taskId, runtimeId, timeoutSeconds }, context) =>
      waitForTask(service, taskId, { timeoutMs: timeoutSeconds * 1000, selector: selectorForRuntime(runtimeId) }, context),
  }),
  tool({
    name: 'plato.interrupt_task',
    description: 'Interrupt one orchestration task.',
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ reason: z.string().optional() }),
    run: async (service, { taskId, runtimeId, reason }) => {
      await service.interruptTask(taskId, { ...(reason ? { reason } : {}), ...selectorForRuntime(runtimeId) });
      return { taskId, interrupted: true };
    },
  }),
  tool({
    name: 'plato.resume_task',
    description: 'Resume one interrupted orchestration task.',
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ message: z.string().optional().describe('Instruction for the resumed turn') }),
    run: (service, { taskId, runtimeId, message }) => service.resumeTask(taskId, { ...(message ? { message } : {}), ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.approve_task_action',
    description: 'Approve a pending task action.',
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ by: z.string().optional(), comment: z.string().optional() }),
    run: (service, { taskId, runtimeId, by, comment }) =>
      service.approveTaskAction(taskId, { ...(by ? { by } : {}), ...(comment ? { comment } : {}), ...selectorForRuntime(runtimeId) }),
  }),
  tool({
    name: 'plato.reject_task_action',
    description: 'Reject a pending task action with a reason.',
    readOnly: false,
    inputSchema: TaskLookupSchema.extend({ reason: z.string().trim().min(1, 'reason must not be empty'), by: z.string().optional() }),
    run: (service, { taskId, runtimeId, reason, by }) => service.rejectTaskAction(taskId, reason, { ...(by ? { by } : {}), ...selectorForRuntime(runtimeId) }),
  }),
];
