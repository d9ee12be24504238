import type { Command } from 'commander';
import { taskQueueOption, type Cli } from './common';

/**
 * `codex-runner mcp`: the `plato.*` tools and `plato://` resources over stdio, backed by the
 * orchestration service with this host's Temporal connection. Stdout belongs to the protocol,
 * so the command prints its one status line to stderr. It serves until stdin closes or a
 * SIGINT/SIGTERM arrives.
 */
export function registerMcpCommand(program: Command, { io, temporalTarget }: Cli): void {
  program
    .command('mcp')
    .description('Serve the plato.* MCP tools and plato:// resources over stdio (for MCP clients and agents)')
    .option('--runtime-id <id>', 'id of the codex-runner agent runtime in records and events', 'codex')
    .addOption(taskQueueOption('task queue the tools start tasks and graphs on'))
    .action(async (flags: { runtimeId: string; taskQueue?: string }) => {
      const [
        { StdioServerTransport },
        { CodexRunnerClient },
        { connectTemporalClient },
        { createPlatoMcpServer },
        { guardToolCalls },
        { CodexRunnerAgentRuntime },
        { TaskOrchestrationService },
        target,
      ] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../client/codex-runner-client.js'),
        import('../client/connection.js'),
        import('../mcp/plato-mcp-server.js'),
        import('../mcp/tool-call-guard.js'),
        import('../orchestration/codex-runner-agent-runtime.js'),
        import('../orchestration/task-orchestration-service.js'),
        temporalTarget(),
      ]);
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
