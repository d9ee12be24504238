/**
 * The real codex binary as the MCP client of `codex-runner mcp`, wired the way a user wires it
 * (`[mcp_servers.plato]` with the command and its environment). codex offers an MCP server's
 * tools only through its `tool_search` tool, under the namespace `mcp__plato` with the dots of
 * their names made underscores; the scripted model searches, starts a task through the tools,
 * waits for it and reads what codex hands back.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI_ENTRY, useRunnerHarness } from '../support/runner-harness';
import { loadCodexSdk } from '../support/codex-env';
import { exec, say, toolCall, toolSearch, type RecordedRequest } from '../../src/scripted-model/scripted-model-server';
import { PLATO_TOOLS } from '../../src/mcp/plato-tools';

const harness = useRunnerHarness();

interface NamespaceTools {
  type: string;
  name: string;
  tools?: Array<{ name: string }>;
}

/** The tools codex's tool search handed the model, by namespace. */
function searchedTools(request: RecordedRequest): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const item of request.input) {
    if (item.type !== 'tool_search_output') continue;
    for (const entry of (item as unknown as { tools: NamespaceTools[] }).tools) {
      found.set(entry.name, [...(found.get(entry.name) ?? []), ...(entry.tools ?? []).map((tool) => tool.name)]);
    }
  }
  return found;
}

/** What codex answered the model for its last call of the tool `name` (codex prefixes its wall time). */
function callOutput(request: RecordedRequest, name: string): string {
  const call = [...request.input].reverse().find((entry) => entry.type === 'function_call' && (entry as { name?: string }).name === name) as
    { call_id?: string } | undefined;
  const item = request.input.find((entry) => entry.type === 'function_call_output' && (entry as { call_id?: string }).call_id === call?.call_id);
  if (!item) throw new Error(`no output for ${name} in request ${request.seq}`);
  const output = (item as { output?: unknown }).output;
  // A string, or (for a result with structured content) the content items codex passes on.
  const text = typeof output === 'string' ? output : (output as Array<{ text?: string }>).map((part) => part.text ?? '').join('\n');
  return text.replace(/^[\s\S]*?Output:\n/, '');
}

it('codex lists every plato tool, starts a task through plato.start_task and waits for it with plato.wait_for_task', async () => {
  const { Codex } = await loadCodexSdk();
  const repo = await harness().makeRepo();
  harness().model.script({ when: 'codex-mcp-child-marker', steps: [exec('echo from-the-subtask > subtask.txt'), say('subtask done')] });
  const agent = harness().model.script({
    when: 'codex-mcp-agent-marker',
    steps: [
      toolSearch('plato task graph subtasks approve wait', { limit: 50 }),
      toolCall(
        'plato_start_task',
        { taskId: 'codex-mcp-child', workspacePath: repo, prompt: 'Write the file (codex-mcp-child-marker)' },
        { namespace: 'mcp__plato' },
      ),
      toolCall('plato_wait_for_task', { taskId: 'codex-mcp-child', timeoutSeconds: 50 }, { namespace: 'mcp__plato' }),
      toolCall('plato_get_task', { taskId: 'no-such-task' }, { namespace: 'mcp__plato' }),
      say('delegated'),
    ],
  });

  const env = harness().env();
  const codex = new Codex({
    config: {
      ...harness().model.codexConfig(),
      mcp_servers: {
        plato: {
          command: process.execPath,
          args: [CLI_ENTRY, 'mcp'],
          // Without it, codex exec (approval policy never) refuses every tool not marked read-only.
          default_tools_approval_mode: 'approve',
          env: { TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS!, TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE ?? 'default' },
        },
      },
    },
    env: harness().codexEnv.env,
  });
  const thread = codex.startThread({ workingDirectory: repo, skipGitRepoCheck: true, approvalPolicy: 'never', sandboxMode: 'workspace-write' });
  const turn = await thread.run('Delegate the work (codex-mcp-agent-marker)');
  expect(turn.finalResponse).toBe('delegated');

  const requests = agent.requests;
  expect(requests).toHaveLength(5);
  // Every tool is found, under codex's names for them.
  expect(searchedTools(requests[1]!).get('mcp__plato')?.sort()).toEqual(PLATO_TOOLS.map((tool) => tool.name.replace('.', '_')).sort());

  expect(JSON.parse(callOutput(requests[2]!, 'plato_start_task'))).toMatchObject({
    taskId: 'codex-mcp-child',
    state: 'queued',
  });
  const waited = JSON.parse(callOutput(requests[3]!, 'plato_wait_for_task')) as { task: { state: string }; settled: boolean };
  expect(waited).toMatchObject({ settled: true, task: { state: 'completed', finalMessage: 'subtask done' } });
  expect(callOutput(requests[4]!, 'plato_get_task')).toContain('TASK_NOT_FOUND: Task no-such-task was not found');

  const child = await harness().client.getTask('codex-mcp-child');
  expect(await readFile(path.join(child.worktreePath!, 'subtask.txt'), 'utf8')).toBe('from-the-subtask\n');
}, 180_000);
