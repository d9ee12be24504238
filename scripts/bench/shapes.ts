/**
 * The graphs the benchmark runs and the scripted model's part in them.
 *
 * Mix: the reference shape is a chain of 5 plus 15 independent children. Larger graphs keep that
 * mix: one chain of 5 per 20 children (a quarter of the work in chains, the critical path still 5
 * tasks) and the rest independent, so N = 200 has 10 chains of 5 and 150 independent children.
 * Chains are listed first in the graph input, link by link. No graph limit unless a shape sets one.
 */
import { delay, exec, say, type ScriptedModelServer } from '../../src/scripted-model/scripted-model-server';

export interface Shape {
  /** Short name, used in the table, in task ids and in `--shapes`. */
  name: string;
  /** Child tasks (the parent task comes on top). */
  tasks: number;
  /** Session slots in all: `worker --max-concurrent-tasks`, split evenly over the hosts. */
  slots: number;
  /** Worker hosts (worker processes with their own `--host-name` and CODEX_HOME; default 1). */
  hosts?: number;
  /**
   * The repository by its URL (a bare remote on this machine, `file://`): each host works in its
   * own mirror of it and pushes the task and graph branches there. Default: by its path.
   */
  remote?: boolean;
  /** The graph's own `--max-concurrent-tasks` (none: every ready child is released at once). */
  graphLimit?: number;
  /** How long the scripted model waits before each answer. */
  modelDelayMs: number;
  /** Run the plain-script baseline beside the runner. */
  baseline: boolean;
  /** Only the history figures matter (the N = 500 run). */
  historyOnly?: boolean;
  /** Not in the default run (too slow for it): `--all` or `--shapes` selects it. */
  optIn?: boolean;
  /** With `--rounds`: the shape this is a round of, and which round (from 1). */
  round?: { of: string; index: number };
}

export const CHAIN_LENGTH = 5;
const TASKS_PER_CHAIN = 20;

export const SHAPES: readonly Shape[] = [
  { name: 'ref', tasks: 20, slots: 4, modelDelayMs: 0, baseline: true },
  { name: 'ref-1s', tasks: 20, slots: 4, modelDelayMs: 1_000, baseline: true },
  // The reference shapes with the graph's limit at the worker's slots: the parent, not the task
  // queue, then decides which ready child takes a freed slot (priority, then input order).
  { name: 'ref-g4', tasks: 20, slots: 4, graphLimit: 4, modelDelayMs: 0, baseline: true },
  { name: 'ref-1s-g4', tasks: 20, slots: 4, graphLimit: 4, modelDelayMs: 1_000, baseline: true },
  { name: 'n50-s4', tasks: 50, slots: 4, modelDelayMs: 0, baseline: true },
  { name: 'n50-s8', tasks: 50, slots: 8, modelDelayMs: 0, baseline: true },
  { name: 'n200-s4', tasks: 200, slots: 4, modelDelayMs: 0, baseline: true },
  { name: 'n200-s8', tasks: 200, slots: 8, modelDelayMs: 0, baseline: true },
  // The same with a graph limit: ready children are released as slots free up instead of all at once.
  { name: 'n200-s8-g8', tasks: 200, slots: 8, graphLimit: 8, modelDelayMs: 0, baseline: true },
  { name: 'n200-s8-g16', tasks: 200, slots: 8, graphLimit: 16, modelDelayMs: 0, baseline: true },
  // A pool: the same 200 tasks and 6 slots on one host, and over three hosts of 2 slots each.
  { name: 'n200-s6', tasks: 200, slots: 6, modelDelayMs: 0, baseline: true },
  { name: 'n200-s6-h3', tasks: 200, slots: 6, hosts: 3, modelDelayMs: 0, baseline: true },
  // The same pool on a repository named by its URL: a fetch before each worktree, a push after each commit and merge.
  { name: 'n200-s6-h3-url', tasks: 200, slots: 6, hosts: 3, remote: true, modelDelayMs: 0, baseline: true },
  { name: 'n500-s8', tasks: 500, slots: 8, modelDelayMs: 0, baseline: false, historyOnly: true, optIn: true },
];

export const QUICK_SHAPES = ['ref'];

/**
 * Each shape `rounds` times in a row (with one round, the shapes themselves). A round has ids of
 * its own (a graph's ids must be new): `ref.r2` is the second round of `ref`.
 */
export function inRounds(shapes: readonly Shape[], rounds: number): Shape[] {
  if (rounds === 1) return [...shapes];
  return shapes.flatMap((shape) =>
    Array.from({ length: rounds }, (_, i) => ({ ...shape, name: `${shape.name}.r${i + 1}`, round: { of: shape.name, index: i + 1 } })),
  );
}

/** The shapes named (in table order); throws naming the unknown ones and the known ones. */
export function shapesNamed(names: readonly string[]): Shape[] {
  const unknown = names.filter((name) => !SHAPES.some((shape) => shape.name === name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`Unknown shape ${unknown.join(', ') || '(none given)'}; shapes are ${SHAPES.map((shape) => shape.name).join(',')}`);
  }
  return SHAPES.filter((shape) => names.includes(shape.name));
}

export interface BenchChild {
  taskId: string;
  /** Carries a marker that selects this child's model script. */
  prompt: string;
  priority: number;
  dependencyTaskIds: string[];
}

/**
 * Throws for children the baseline and the floor cannot run: a task with more than one
 * prerequisite (they start a dependent from its prerequisite's commit and merge nothing).
 */
export function assertOnePrerequisite(children: readonly Pick<BenchChild, 'dependencyTaskIds'>[]): void {
  if (children.some((child) => child.dependencyTaskIds.length > 1)) throw new Error('the bench handles one prerequisite per task');
}

/** The children of `shape`, with ids prefixed by `prefix` (unique per run: the runner and the baseline get their own). */
export function graphChildren(shape: Shape, prefix: string): BenchChild[] {
  const chains = Math.max(1, Math.floor(shape.tasks / TASKS_PER_CHAIN));
  const children: BenchChild[] = [];
  const child = (taskId: string, dependencyTaskIds: string[]): BenchChild => ({
    taskId,
    // The marker is bracketed so that no path (worktrees are named after task ids) contains it.
    prompt: `Write ${taskId}.txt holding the task id [bench:${taskId}]`,
    priority: 0,
    dependencyTaskIds,
  });
  for (let c = 1; c <= chains; c++) {
    for (let link = 1; link <= CHAIN_LENGTH; link++) {
      children.push(child(`${prefix}-c${c}-${link}`, link === 1 ? [] : [`${prefix}-c${c}-${link - 1}`]));
    }
  }
  for (let i = 1; children.length < shape.tasks; i++) children.push(child(`${prefix}-i${i}`, []));
  return children;
}

/** What the model does for every child: one `exec` writing a file, then "done"; at once or after `modelDelayMs`. */
export function scriptChildren(model: ScriptedModelServer, shape: Shape, children: readonly BenchChild[]): void {
  const timed = <S extends Parameters<typeof delay>[1]>(step: S): S => (shape.modelDelayMs > 0 ? delay(shape.modelDelayMs, step) : step);
  for (const { taskId } of children) {
    model.script({ when: `[bench:${taskId}]`, name: taskId, steps: [timed(exec(`echo ${taskId} > ${taskId}.txt`)), timed(say('done'))] });
  }
}
