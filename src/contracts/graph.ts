import { z } from 'zod';
import { FULL_COMMIT_ID } from './ids';
import { TaskChecksSchema } from './repo-config';
import { ContextPackageSchema } from './context-package';
import { repositoryOf, repositoryProblem, type RepoRef } from './repository';
import type { GraphSynthesis, TaskRecord, WorkerResult } from './records';
import {
  AbsoluteRepoPathSchema,
  CodexTaskOptionsSchema,
  DurationSchema,
  PrioritySchema,
  PromptSchema,
  RetryOfSchema,
  StartTaskInputSchema,
  TaskIdSchema,
  approvalTimeoutProblem,
  type TaskState,
} from './task';

export type { GraphConflict, GraphRecord, GraphSynthesis, ResultClassification, WorkerResult } from './records';

/** Children of one graph. Each child costs its parent about a dozen history events. */
export const MAX_GRAPH_CHILDREN = 1_000;

export const GraphChildInputSchema = z
  .object({
    taskId: TaskIdSchema,
    prompt: PromptSchema,
    priority: PrioritySchema.default(0),
    dependencyTaskIds: z.array(z.string()).default([]),
    /** Accepted for compatibility with the reference; must equal the parent's repository. */
    repoPath: z.string().min(1).optional(),
    codex: CodexTaskOptionsSchema.optional(),
    requireApproval: z.boolean().optional(),
    contextPackage: ContextPackageSchema.optional(),
    /** Over the parent's `checks`, field by field. */
    checks: TaskChecksSchema.optional(),
  })
  .strict();
export type GraphChildInput = z.input<typeof GraphChildInputSchema>;
export type ValidGraphChild = z.output<typeof GraphChildInputSchema>;

/** A graph's parent: a task's input but for approval, which is the graph's. Its `contextPackage` goes to every child that brings none. */
export const GraphParentInputSchema = StartTaskInputSchema.omit({ requireApproval: true, approvalTimeout: true });

/** What a caller submits to start a task graph (the client's `createTaskGraph`, `graph start --file`). */
export const CreateTaskGraphInputSchema = z
  .object({
    parent: GraphParentInputSchema,
    children: z.array(GraphChildInputSchema).max(MAX_GRAPH_CHILDREN, `a graph has at most ${MAX_GRAPH_CHILDREN} children`),
    /** How many of this graph's tasks run at once (default: no limit but the workers' slots). */
    maxConcurrentTasks: z.number().int('maxConcurrentTasks must be an integer').min(1, 'maxConcurrentTasks must be at least 1').optional(),
    /** Every child waits for approval after its turn. */
    requireApproval: z.boolean().optional(),
    approvalTimeout: DurationSchema.optional(),
    /** The graph takes subtasks while it runs and ends only once it is closed (`graph close`) and every child has ended. */
    open: z.boolean().optional(),
  })
  .strict();
export type CreateTaskGraphInput = z.input<typeof CreateTaskGraphInputSchema>;

/**
 * The graph workflow's input, as found in its history and as typed by someone starting a graph
 * with the plain `temporal workflow start`: the parent's id and absolute repository are resolved.
 */
export const TaskGraphWorkflowInputSchema = CreateTaskGraphInputSchema.extend({
  parent: GraphParentInputSchema.extend({
    taskId: TaskIdSchema,
    repoPath: AbsoluteRepoPathSchema.optional(),
  }),
  /** This run retries an earlier one that failed or was cancelled (`graph retry`). */
  retryOf: z
    .object({
      runId: z.string().min(1),
      /** The earlier run's base: the children start from it again. */
      baseSha: z.string().regex(FULL_COMMIT_ID, 'must be a full commit id'),
      /** The graph branch the earlier run left, with its completed children merged. */
      branch: z
        .object({ branchName: z.string(), commitSha: z.string().regex(FULL_COMMIT_ID, 'must be a full commit id') })
        .strict()
        .optional(),
      /**
       * The completed children: not run again, their results and commits carried over. Checked for
       * what the graph reads of them; the rest of each worker result is kept as it came (the
       * records' schemas stay out of workflow code, which builds a copy of every schema it imports).
       */
      carried: z.array(
        z
          .object({
            taskId: TaskIdSchema,
            classification: z.literal('completed'),
            commitSha: z.string().regex(FULL_COMMIT_ID, 'must be a full commit id'),
          })
          .passthrough(),
      ),
      /** Each child that runs again, and what it knows of its earlier run. */
      children: z.record(z.string(), RetryOfSchema),
    })
    .strict()
    .optional(),
});
export type TaskGraphWorkflowInput = z.input<typeof TaskGraphWorkflowInputSchema>;
export type ValidTaskGraphWorkflowInput = z.output<typeof TaskGraphWorkflowInputSchema>;

/** What `addSubtasks` sends a running graph: children added to it, under the same rules as the first ones. */
export const AddSubtasksRequestSchema = z
  .object({ children: z.array(GraphChildInputSchema).min(1, 'add at least one child').max(100, 'add at most 100 children at once') })
  .strict();
export type AddSubtasksRequest = z.input<typeof AddSubtasksRequestSchema>;

/**
 * Why `added` cannot join a graph that has `existing` children, in one line; `undefined` when
 * they can. The combined graph must keep every rule of {@link findGraphProblem}: new ids, known
 * prerequisites (existing children or added ones, completed or not), no cycle.
 */
export function findSubtaskProblem(
  parent: { taskId: string } & RepoRef,
  existing: readonly Pick<ValidGraphChild, 'taskId' | 'prompt' | 'priority' | 'dependencyTaskIds'>[],
  added: readonly ValidGraphChild[],
): string | undefined {
  const known = new Set(existing.map((child) => child.taskId));
  const again = added.find((child) => known.has(child.taskId) || child.taskId === parent.taskId);
  if (again) return `Task graph ${parent.taskId} already has a task ${again.taskId}: give the subtask another id`;
  return findGraphProblem(parent, [...existing, ...added]);
}

/**
 * The graph rules that zod cannot express, checked in the reference system's order. Returns the
 * first problem as one line, or undefined. Pure: the client runs it before anything is created,
 * and the workflow runs it again for graphs started with the plain `temporal` CLI.
 */
export function findGraphProblem(
  parent: { taskId?: string | undefined } & RepoRef,
  children: readonly ValidGraphChild[],
  approval: { requireApproval?: boolean | undefined; approvalTimeout?: string | undefined } = {},
): string | undefined {
  const repositoryIssue = repositoryProblem(parent);
  if (repositoryIssue) return `Task graph parent: ${repositoryIssue}`;
  const repository = repositoryOf(parent);
  const ids = new Set<string>();
  for (const id of [parent.taskId, ...children.map((child) => child.taskId)]) {
    if (id === undefined) continue;
    if (ids.has(id)) return `Task graph contains duplicate task id ${id}`;
    ids.add(id);
  }
  if (children.length === 0) return 'Task graph requires at least one child task (add --child or children[])';
  const childIds = new Set(children.map((child) => child.taskId));
  for (const child of children) {
    if (child.repoPath !== undefined && child.repoPath !== repository) {
      return `Task graph child ${child.taskId} names repository ${child.repoPath}, but a graph works in one repository (the parent's, ${repository}); remove its repoPath`;
    }
    const seen = new Set<string>();
    for (const dependency of child.dependencyTaskIds) {
      if (seen.has(dependency)) return `Task graph child ${child.taskId} contains duplicate dependency ${dependency}`;
      seen.add(dependency);
      if (dependency === child.taskId) return `Task graph child ${child.taskId} cannot depend on itself`;
      if (!childIds.has(dependency)) return `Task graph child ${child.taskId} depends on missing child task ${dependency}`;
    }
  }
  const cycle = findCycle(children);
  if (cycle) return `Task graph child dependencies contain a cycle: ${cycle.join(' -> ')}`;
  return approvalTimeoutProblem({ ...approval, requireApproval: approval.requireApproval || children.some((child) => child.requireApproval) });
}

/** A dependency cycle as a closed path (`a -> b -> a`), found by depth-first search in input order. */
export function findCycle(children: readonly Pick<ValidGraphChild, 'taskId' | 'dependencyTaskIds'>[]): string[] | undefined {
  const dependencies = new Map(children.map((child) => [child.taskId, child.dependencyTaskIds]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dependency of dependencies.get(id) ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const child of children) {
    const cycle = visit(child.taskId);
    if (cycle) return cycle;
  }
  return undefined;
}

export type GraphState = Exclude<TaskState, 'cancelled'>;

/** A graph as `getTaskGraph` returns it, for the parent id or any child id. */
export interface TaskGraphSnapshot {
  parent: TaskRecord;
  children: TaskRecord[];
  dependencies: Record<string, string[]>;
  /** The parent's own state once it has ended (`cancelled` when the graph itself was cancelled), else the children's aggregate. */
  state: GraphState | 'cancelled';
}

export interface TaskGraphResults {
  parentTaskId: string;
  /** The parent's state: a graph that ended before every child finished has no synthesis. */
  parentState: TaskState;
  results: WorkerResult[];
  synthesis?: GraphSynthesis;
}
