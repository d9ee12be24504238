/**
 * `codex-runner mcp` started while Temporal is down: an agent still sees the tools, a call says
 * why it cannot be done, and the same server process serves the call once Temporal is up, and
 * again after Temporal went away and came back under an established connection.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI_ENTRY } from '../support/runner-harness';
import { startTemporalDevServer, type TemporalDevServer } from '../support/temporal-dev-server';
import { PLATO_TOOLS } from '../../src/mcp/plato-tools';

let server: TemporalDevServer;
let mcp: Client;
let transport: StdioClientTransport;
let serverLog = '';

beforeAll(async () => {
  server = await startTemporalDevServer();
  await server.stop();
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_ENTRY, 'mcp'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
  mcp = new Client({ name: 'codex-runner-test', version: '1.0.0' });
  await mcp.connect(transport);
}, 90_000);

afterAll(async () => {
  await mcp?.close();
  await server?.dispose();
});

async function listTasks(): Promise<CallToolResult> {
  return (await mcp.callTool({ name: 'plato.list_tasks', arguments: {} })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return (result.content[0] as { text: string }).text;
}

it('lists its tools and answers TEMPORAL_UNAVAILABLE until Temporal answers, then serves the same call without a restart', async () => {
  const { tools } = await mcp.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual(PLATO_TOOLS.map((tool) => tool.name).sort());
  const { resources } = await mcp.listResources();
  expect(resources.map((resource) => resource.uri)).toEqual(expect.arrayContaining(['plato://tasks', 'plato://approvals']));

  const down = await listTasks();
  expect(down.isError).toBe(true);
  expect(text(down)).toMatch(new RegExp(`^TEMPORAL_UNAVAILABLE: Temporal is not reachable at ${server.address}: .*The same call works once it answers`));
  await expect(mcp.readResource({ uri: 'plato://tasks' })).rejects.toThrow(/TEMPORAL_UNAVAILABLE/);

  await server.restart();
  const up = await listTasks();
  expect(up.isError ? text(up) : 'served').toBe('served');
  expect(JSON.parse(text(up))).toEqual([]);
  const pid = transport.pid;

  // Temporal goes away under the established connection, and comes back.
  await server.stop();
  const lost = await listTasks();
  expect(lost.isError).toBe(true);
  expect(text(lost)).toMatch(/^TEMPORAL_UNAVAILABLE: /);
  await server.restart();
  const back = await listTasks();
  expect(back.isError ? text(back) : 'served').toBe('served');
  expect(transport.pid).toBe(pid);
  expect(serverLog).toContain(`connected to Temporal ${server.address}`);
}, 180_000);
