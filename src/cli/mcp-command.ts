import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { CodexRunnerClient } from '../client/codex-runner-client';
import { connectTemporalClient, loadTemporalTarget } from '../client/connection';
import { createPlatoMcpServer } from '../mcp/plato-mcp-server';
import { guardToolCalls } from '../mcp/tool-call-guard';
import { CodexRunnerAgentRuntime } from '../orchestration/codex-runner-agent-runtime';
import { TaskOrchestrationService } from '../orchestration/task-orchestration-service';
import { taskQueueOption } from './common';
import type { CliIO } from './output';

/**
 * `codex-runner mcp`: the `plato.*` tools and `plato://` resources over stdio, backed by the
 * orchestration service with this host's Temporal connection. Stdout belongs to the protocol,
 * so the command prints its one status line to stderr. It serves until stdin closes or a
 * SIGINT/SIGTERM arrives.
 */
export function registerMcpCommand(program: Command, io: CliIO): void {
  program
    .command('mcp')
    .description('Serve the plato.* MCP tools and plato:// resources over stdio (for MCP clients and agents)')
    .option('--runtime-id <id>', 'id of the codex-runner agent runtime in records and events', 'codex')
    .addOption(taskQueueOption('task queue the tools start tasks and graphs on'))
    .action(async (flags: { runtimeId: string; taskQueue?: string }) => {
      const target = loadTemporalTarget();
      const client = new CodexRunnerClient(await connectTemporalClient(target), flags.taskQueue ? { taskQueue: flags.taskQueue } : {});
      const runtime = new CodexRunnerAgentRuntime({ runtimeId: flags.runtimeId, client });
      const server = createPlatoMcpServer(new TaskOrchestrationService({ defaultRuntimeId: runtime.runtimeId, runtimes: [runtime] }));
      const stopped = new Promise<void>((resolve) => {
        process.stdin.once('end', resolve);
        process.stdin.once('close', resolve);
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.connect(guardToolCalls(new StdioServerTransport()));
      io.stderr(
        `codex-runner MCP server on stdio: Temporal ${target.address} namespace ${target.namespace} task queue ${client.taskQueue}, runtime ${runtime.runtimeId}\n`,
      );
      await stopped;
      await server.close();
      await client.close();
    });
}
