import { taskWorkflowId } from '../../src/contracts/ids';
import { STATUS_MEMO_KEY } from '../../src/contracts/web-ui';
import { exec, say } from '../../src/scripted-model/scripted-model-server';
import { RunnerHarness, type WorkerProcess } from '../support/runner-harness';

// What a person sees in the Web UI without opening payloads: every task's and child's static
// details, and its state and last event in the memo, which the server shows with no worker
// running (the current details are a query, answered only by a worker).
let harness: RunnerHarness;
let worker: WorkerProcess;
let repo: string;

beforeAll(async () => {
  harness = await RunnerHarness.start();
  repo = await harness.makeRepo();
  worker = await harness.startWorker();
});

afterAll(async () => {
  await harness?.stop();
});

const describe_ = (taskId: string) => harness.client.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();

it("shows each child's details, and every task's state and last event once no worker runs", async () => {
  harness.model.script({ when: 'ui-first', steps: [exec('echo one > one.txt'), say('first done')] });
  harness.model.script({ when: 'ui-second', steps: [exec('echo two > two.txt'), say('second done')] });
  await harness.client.createTaskGraph({
    parent: { taskId: 'ui-graph', repoPath: repo, prompt: 'Two files' },
    children: [
      { taskId: 'ui-first', prompt: 'Write one.txt (ui-first)' },
      { taskId: 'ui-second', prompt: 'Write two.txt (ui-second)', dependencyTaskIds: ['ui-first'] },
    ],
  });
  expect((await harness.client.waitForTask('ui-graph')).state).toBe('completed');
  await worker.stop();

  const second = await describe_('ui-second');
  expect(await second.staticDetails()).toBe(
    [
      `**Task:** ui-second`,
      `**Part of:** ui-graph`,
      `**After:** ui-first`,
      `**Repository:** \`${repo}\``,
      `**Priority:** 0`,
      `**Prompt:**`,
      '',
      'Write two.txt (ui-second)',
    ].join('\n'),
  );
  expect(second.memo?.[STATUS_MEMO_KEY]).toEqual({ state: 'completed', lastEvent: expect.stringMatching(/^#\d+ task\.completed commit [0-9a-f]{12}$/) });
  const graph = await describe_('ui-graph');
  expect(graph.memo?.[STATUS_MEMO_KEY]).toEqual({ state: 'completed', lastEvent: expect.stringMatching(/^#\d+ task\.completed commit [0-9a-f]{12}$/) });
  await harness.recordHistory('graph-status-memo-child-details', 'ui-graph');
  await harness.recordHistory('graph-child-status-memo', 'ui-second');
});

it('shows a task that no worker has picked up as queued', async () => {
  await harness.client.startTask({ taskId: 'ui-queued', repoPath: repo, prompt: 'Waits for a worker' });
  const queued = await describe_('ui-queued');
  expect(queued.memo?.[STATUS_MEMO_KEY]).toEqual({ state: 'queued' });
  expect(await queued.staticDetails()).toContain('**Task:** ui-queued');
});
