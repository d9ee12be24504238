/**
 * Runs the floor (./floor-workflow.ts says what it is) for the baseline's script: a worker in
 * the script's process whose one activity is the script's own work for a task, and the floor's
 * parent workflow started and waited for.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { BaselineSpec, TaskWork } from './baseline';
import type { FloorGraph, floorGraph } from './floor-workflow';
import { assertOnePrerequisite } from './shapes';

export interface FloorRun {
  /** Runs the graph to its end; a failure aborts every turn still running, through `abortTurns`. */
  run(): Promise<void>;
  /** Closes the connections. */
  close(): Promise<void>;
}

/** Connects and creates the worker, outside the measured run. */
export async function prepareFloor(spec: BaselineSpec, work: TaskWork, abortTurns: AbortController): Promise<FloorRun> {
  const { address, namespace, bundlePath } = spec.floor!;
  // Checked here: thrown in workflow code, it would fail workflow tasks over and over instead.
  assertOnePrerequisite(spec.children);
  const children = new Map(spec.children.map((child) => [child.taskId, child]));
  const taskQueue = `bench-floor-${process.pid}`;
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const close = () => Promise.all([connection.close(), workerConnection.close()]).then(() => undefined);
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowBundle: { codePath: bundlePath },
      activities: { floorTask: (taskId: string, base: string) => work(children.get(taskId)!, base) },
      maxConcurrentActivityTaskExecutions: spec.slots,
    });
    const client = new Client({ connection, namespace });
    const graph: FloorGraph = {
      baseSha: spec.baseSha,
      slots: spec.slots,
      children: spec.children.map(({ taskId, priority, dependencyTaskIds }) => ({ taskId, priority, dependencyTaskIds })),
    };
    return {
      async run() {
        const done = client.workflow.execute<typeof floorGraph>('floorGraph', {
          taskQueue,
          workflowId: `bench-floor-${process.pid}-${Date.now()}`,
          args: [graph],
        });
        // The turns still running would otherwise hold the worker's shutdown until they end.
        await worker.runUntil(
          done.catch((error: unknown) => {
            abortTurns.abort();
            throw error;
          }),
        );
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
