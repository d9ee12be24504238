import type { Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../contracts/ids';
import { taskQueueOption, type Cli } from './common';

/**
 * `codex-runner mcp`: the `plato.*` tools and `plato://` resources over stdio, backed by the
 * orchestration service with this host's Temporal connection. The connection is made at the
 * first call that needs it, and again at the next call after one that failed, so the server
 * starts, and lists its tools, whether or not Temporal answers. Stdout belongs to the protocol,
 * so the command prints its status lines to stderr. It serves until stdin closes or a
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
        { OnDemand },
        { CodexRunnerAgentRuntime },
        { TaskOrchestrationService },
        target,
      ] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../client/codex-runner-client.js'),
        import('../client/connection.js'),
        import('../mcp/plato-mcp-server.js'),
        import('../mcp/tool-call-guard.js'),
        import('../mcp/on-demand.js'),
        import('../orchestration/codex-runner-agent-runtime.js'),
        import('../orchestration/task-orchestration-service.js'),
        temporalTarget(),
      ]);
      const taskQueue = flags.taskQueue ?? DEFAULT_TASK_QUEUE;
      const connection = new OnDemand(async () => {
        const client = new CodexRunnerClient(await connectTemporalClient(target), { taskQueue });
        const runtime = new CodexRunnerAgentRuntime({ runtimeId: flags.runtimeId, client });
        io.stderr(`codex-runner MCP server: connected to Temporal ${target.address}\n`);
        return { client, service: new TaskOrchestrationService({ defaultRuntimeId: runtime.runtimeId, runtimes: [runtime] }) };
      });
      const server = createPlatoMcpServer(async () => (await connection.get()).service);
      const stopped = new Promise<void>((resolve) => {
        process.stdin.once('end', resolve);
        process.stdin.once('close', resolve);
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.connect(guardToolCalls(new StdioServerTransport()));
      io.stderr(
        `codex-runner MCP server on stdio: Temporal ${target.address} namespace ${target.namespace} task queue ${taskQueue}, runtime ${flags.runtimeId}\n`,
      );
      await stopped;
      await server.close();
      await connection.current()?.client.close();
    });
}
