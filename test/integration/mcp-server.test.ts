import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { OrchestrationTaskGraphResultSnapshot, OrchestrationTaskGraphSnapshot, OrchestrationTaskRecord } from '../../src/orchestration/contracts';
import { CLI_ENTRY, eventually, useRunnerHarness } from '../support/runner-harness';
import { delay, exec, hang, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();
let mcp: Client;
let serverLog = '';

beforeAll(async () => {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_ENTRY, 'mcp'], env: harness().env(), stderr: 'pipe' });
  transport.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
  mcp = new Client({ name: 'codex-runner-test', version: '1.0.0' });
  await mcp.connect(transport);
});
afterAll(async () => {
  await mcp?.close();
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await mcp.callTool({ name, arguments: args })) as CallToolResult;
}

/** Calls a tool that must succeed and returns its JSON result. */
async function ok<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const result = await call(name, args);
  const text = (result.content[0] as { text: string }).text;
  if (result.isError) throw new Error(`${name} failed: ${text}\n${serverLog}`);
  return JSON.parse(text) as T;
}

async function errorText(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(name, args);
  expect(result.isError).toBe(true);
  return (result.content[0] as { text: string }).text;
}

async function readJson<T>(uri: string): Promise<T> {
  const { contents } = await mcp.readResource({ uri });
  return JSON.parse((contents[0] as { text: string }).text) as T;
}

describe('codex-runner mcp, driven by an MCP client over stdio', () => {
  it('lists the seventeen plato.* tools with input schemas and read-only hints', async () => {
    const { tools } = await mcp.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        'plato.add_subtasks',
        'plato.approve_task_action',
        'plato.cancel_task',
        'plato.create_task_graph',
        'plato.get_task',
        'plato.get_task_graph',
        'plato.get_task_graph_results',
        'plato.get_task_diff',
        'plato.interrupt_task',
        'plato.list_task_events',
        'plato.list_tasks',
        'plato.reject_task_action',
        'plato.request_task_changes',
        'plato.resume_task',
        'plato.retry_task',
        'plato.start_task',
        'plato.wait_for_task',
      ].sort(),
    );
    const start = tools.find((tool) => tool.name === 'plato.start_task')!;
    expect(start.inputSchema.required).toEqual(expect.arrayContaining(['workspacePath', 'prompt']));
    expect(tools.find((tool) => tool.name === 'plato.get_task')?.annotations?.readOnlyHint).toBe(true);
    expect(start.annotations?.readOnlyHint).toBe(false);
  });

  it('starts a graph, approves its gated child through the approvals resource, and follows it to completion', async () => {
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'mcp-build-marker', steps: [exec('echo built > built.txt'), say('build done')] });
    harness().model.script({ when: 'mcp-review-marker', steps: [exec('echo reviewed > reviewed.txt'), say('ready for review')] });

    const graph = await ok<OrchestrationTaskGraphSnapshot>('plato.create_task_graph', {
      parent: { taskId: 'mcp-graph', workspacePath, prompt: 'Build, then review' },
      children: [
        { taskId: 'mcp-build', prompt: 'Build (mcp-build-marker)' },
        { taskId: 'mcp-review', prompt: 'Review (mcp-review-marker)', dependencyTaskIds: ['mcp-build'], requireApproval: true },
      ],
    });
    expect(graph.parent).toMatchObject({
      taskId: 'mcp-graph',
      workspacePath,
      state: 'queued',
      execution: { runtimeId: 'codex', backend: 'codex', backendTaskId: 'mcp-graph' },
    });
    expect(graph.children.map((child) => child.taskId)).toEqual(['mcp-build', 'mcp-review']);

    await eventually(
      async () => (await ok<OrchestrationTaskRecord>('plato.get_task', { taskId: 'mcp-review' })).state === 'awaiting_approval',
      90_000,
      'mcp-review to await approval',
    );
    const approvals = await eventually(
      async () => {
        const tasks = await readJson<OrchestrationTaskRecord[]>('plato://approvals');
        return tasks.some((task) => task.taskId === 'mcp-review') && tasks;
      },
      30_000,
      'mcp-review in plato://approvals',
    );
    expect(approvals.find((task) => task.taskId === 'mcp-review')).toMatchObject({
      state: 'awaiting_approval',
      approval: { summary: 'ready for review', diffStat: expect.stringContaining('reviewed.txt') },
      decomposition: { kind: 'subtask', parentTaskId: 'mcp-graph', dependencyTaskIds: ['mcp-build'] },
    });

    const approved = await ok<OrchestrationTaskRecord>('plato.approve_task_action', { taskId: 'mcp-review', by: 'mcp-agent', comment: 'fine' });
    expect(approved).toMatchObject({ state: 'completed', approval: { decision: { kind: 'approved', by: 'mcp-agent', message: 'fine' } } });

    const done = await eventually(
      async () => {
        const snapshot = await ok<OrchestrationTaskGraphSnapshot>('plato.get_task_graph', { taskId: 'mcp-graph' });
        return snapshot.parent.state === 'completed' && snapshot;
      },
      60_000,
      'mcp-graph to complete',
    );
    expect(done.state).toBe('completed');

    const results = await ok<OrchestrationTaskGraphResultSnapshot>('plato.get_task_graph_results', { taskId: 'mcp-review' });
    expect(results.synthesis).toMatchObject({ parentTaskId: 'mcp-graph', classification: 'completed', childTaskCount: 2 });
    expect(await readJson<OrchestrationTaskGraphResultSnapshot>('plato://graphs/mcp-graph/results')).toEqual(results);

    const eventList = await ok<{ type: string; execution: unknown }[]>('plato.list_task_events', { taskId: 'mcp-review' });
    expect(eventList.map((event) => event.type)).toEqual(expect.arrayContaining(['task.awaiting_approval', 'task.approval.granted', 'task.completed']));
    expect(new Set(eventList.map((event) => JSON.stringify(event.execution)))).toEqual(
      new Set([JSON.stringify({ runtimeId: 'codex', backend: 'codex', backendTaskId: 'mcp-review' })]),
    );
    expect(await readJson<OrchestrationTaskRecord>('plato://tasks/mcp-build')).toMatchObject({ state: 'completed', finalMessage: 'build done' });
    // An agent reviews a subtask's work without a shell.
    const diff = await ok<{ files: unknown[]; patch: string }>('plato.get_task_diff', { taskId: 'mcp-review' });
    expect(diff.files).toEqual([
      { path: 'reviewed.txt', added: 1, deleted: 0, binary: false, hunks: [{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1 }] },
    ]);
    expect(diff.patch).toContain('+reviewed');
    expect(await readJson<OrchestrationTaskRecord[]>('plato://approvals')).not.toContainEqual(expect.objectContaining({ taskId: 'mcp-review' }));
  });

  it('waits for a task with plato.wait_for_task, sending a progress notification per event, and says when the wait ran out first', async () => {
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'mcp-wait-marker', steps: [delay(3_000, exec('echo waited > waited.txt')), delay(3_000, say('waited for'))] });
    await ok('plato.start_task', { taskId: 'mcp-wait', workspacePath, prompt: 'Take a while (mcp-wait-marker)' });

    const early = await ok<{ settled: boolean; task: OrchestrationTaskRecord }>('plato.wait_for_task', { taskId: 'mcp-wait', timeoutSeconds: 1 });
    expect(early.settled).toBe(false);
    expect(['queued', 'running']).toContain(early.task.state);

    const progress: { progress: number; message?: string }[] = [];
    const result = (await mcp.callTool({ name: 'plato.wait_for_task', arguments: { taskId: 'mcp-wait' } }, undefined, {
      onprogress: (notification) => progress.push(notification),
      timeout: 120_000,
    })) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
    const waited = JSON.parse((result.content[0] as { text: string }).text) as { settled: boolean; events: number; task: OrchestrationTaskRecord };
    expect(waited).toMatchObject({ settled: true, task: { state: 'completed', finalMessage: 'waited for' } });
    // Notifications sent while the task works arrive, numbered from 1. The MCP SDK's client drops
    // those that reach it in the same read as the answer (modelcontextprotocol/typescript-sdk#2580),
    // so the burst of events that ends a task may not all arrive: the answer holds them anyway.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(waited.events);
    expect(progress.map((entry) => entry.progress)).toEqual(Array.from({ length: progress.length }, (_, i) => i + 1));
    for (const entry of progress) expect(entry.message).toMatch(/^(session|task)\.[a-z_.]+(: .*)?$/);

    expect(await errorText('plato.wait_for_task', { taskId: 'mcp-no-such-task' })).toMatch(/^TASK_NOT_FOUND: /);
  });

  it('requests changes on a task awaiting approval, then cancels it', async () => {
    const workspacePath = await harness().makeRepo();
    harness().model.script({ when: 'mcp-change-marker', steps: [exec('echo one > one.txt'), say('first try'), hang()] });
    await ok('plato.start_task', { taskId: 'mcp-change', workspacePath, prompt: 'Write (mcp-change-marker)', requireApproval: true });
    await eventually(
      async () => (await ok<OrchestrationTaskRecord>('plato.get_task', { taskId: 'mcp-change' })).state === 'awaiting_approval',
      60_000,
      'approval',
    );
    const changed = await ok<OrchestrationTaskRecord>('plato.request_task_changes', { taskId: 'mcp-change', message: 'Also write two.txt', by: 'mcp-agent' });
    expect(changed.state).toBe('running');
    expect(await ok('plato.cancel_task', { taskId: 'mcp-change' })).toEqual({ taskId: 'mcp-change', cancelRequested: true });
    await eventually(async () => (await ok<OrchestrationTaskRecord>('plato.get_task', { taskId: 'mcp-change' })).state === 'cancelled', 60_000, 'cancelled');
  });

  it('answers errors an agent can act on: the code, the problem and the next step', async () => {
    expect(await errorText('plato.get_task', { taskId: 'no-such-task' })).toBe(
      'TASK_NOT_FOUND: Task no-such-task was not found. Check the task id; plato.list_tasks lists the tasks that exist.',
    );
    expect(await errorText('plato.approve_task_action', { taskId: 'mcp-build' })).toMatch(
      /^TASK_WRONG_STATE: Task mcp-build is not awaiting approval: it is completed\. Read the task with plato.get_task/,
    );
    // The field is named as the tool calls it: workspacePath, not the runner's own repoPath.
    expect(await errorText('plato.start_task', { workspacePath: '/not/a/repo', prompt: 'x' })).toBe(
      'VALIDATION_FAILED: workspacePath: /not/a/repo does not exist; pass the root of a git repository. Fix the named field and call the tool again.',
    );
    expect(await errorText('plato.start_task', { workspacePath: '/tmp', prompt: 'x', runtimeId: 'elsewhere' })).toMatch(
      /^AGENT_RUNTIME_NOT_REGISTERED: Agent runtime 'elsewhere' is not registered \(registered: codex\)/,
    );
    expect(await errorText('plato.start_task', { workspacePath: 42 })).toBe(
      'VALIDATION_FAILED: prompt: required (string); workspacePath: Invalid input: expected string, received number. Fix the named field and call the tool again.',
    );
    expect(await errorText('plato.get_task', { taskId: 'x', extra: 1 })).toMatch(/^VALIDATION_FAILED: input: unknown field extra \(remove it\)\./);
    expect(await errorText('plato.no_such_tool', {})).toMatch(/^VALIDATION_FAILED: name: there is no tool plato.no_such_tool; tools\/list lists them\./);
    await expect(mcp.readResource({ uri: 'plato://tasks/no-such-task' })).rejects.toThrow(/TASK_NOT_FOUND: Task no-such-task was not found/);
  });

  it('reads null arguments as none and refuses other non-objects with one line', async () => {
    expect(await errorText('plato.start_task', null as never)).toBe(
      'VALIDATION_FAILED: prompt: required (string); workspacePath: required (string). Fix the named field and call the tool again.',
    );
    expect((await call('plato.list_tasks', null as never)).isError).toBeFalsy();
    await expect(call('plato.list_tasks', 'all' as never)).rejects.toThrow(
      "MCP error -32602: VALIDATION_FAILED: arguments: must be an object of the tool's fields, not string. Fix the named field and call the tool again.",
    );
    await expect(call('plato.list_tasks', [] as never)).rejects.toThrow(
      /arguments: must be an object of the tool's fields, not an array\. Fix the named field/,
    );
  });
});
