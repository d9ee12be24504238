import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ID_TAKING_STATUSES, taskWorkflowId } from '../contracts/ids';

/** Task ids described at once: enough to check a large graph quickly, few enough for the server. */
const AT_ONCE = 16;

/**
 * Which of `taskIds` a running or completed task already has. A graph started with the plain
 * `temporal` CLI checks its children's ids with this before it starts any of them (the client
 * checks before it starts the graph).
 */
export async function findTakenTaskIds(taskIds: string[]): Promise<string[]> {
  const { client } = Context.current();
  const taken: string[] = [];
  for (let first = 0; first < taskIds.length; first += AT_ONCE) {
    const statuses = await Promise.all(
      taskIds.slice(first, first + AT_ONCE).map(async (taskId) => {
        try {
          return { taskId, status: (await client.workflow.getHandle(taskWorkflowId(taskId)).describe()).status.name };
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return { taskId, status: undefined };
          throw error;
        }
      }),
    );
    taken.push(...statuses.filter(({ status }) => status !== undefined && ID_TAKING_STATUSES.has(status)).map(({ taskId }) => taskId));
  }
  return taken;
}
