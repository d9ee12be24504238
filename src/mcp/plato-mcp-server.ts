import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ReadResourceResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { CodexRunnerError, ValidationError, isTemporalUnreachable } from '../client/errors';
import { ErrorCode } from '../contracts/errors';
import { describeIssues } from '../contracts/validation';
import type { TaskOrchestrationService } from '../orchestration/task-orchestration-service';
import { PLATO_TOOLS, found, type PlatoTool } from './plato-tools';
import type { ToolCallContext } from './wait-for-task';
import { VERSION } from '../version';

/** What an agent should do next, per error code; the message itself names the problem. */
const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.validation]: 'Fix the named field and call the tool again.',
  [ErrorCode.taskNotFound]: 'Check the task id; plato.list_tasks lists the tasks that exist.',
  [ErrorCode.taskAlreadyExists]: 'Use another taskId, or omit it to get a new one.',
  [ErrorCode.wrongState]: 'Read the task with plato.get_task and choose an operation its state allows.',
  [ErrorCode.temporalUnavailable]:
    'Tell the operator to start Temporal; nothing was changed. The same call works once it answers, with no restart of this server.',
  [ErrorCode.workerUnavailable]: 'Tell the operator to start a worker (`codex-runner worker`); the task waits until one runs.',
  [ErrorCode.agentRuntimeNotRegistered]: 'Omit runtimeId, or use one of the registered runtimes.',
  [ErrorCode.agentRuntimeUnsupported]: 'That runtime cannot do this; use plato.interrupt_task or ask the operator.',
};

/**
 * An error as an agent reads it: `CODE: message. Next step.` A Temporal server that stopped
 * answering an established connection is `TEMPORAL_UNAVAILABLE`; any other unexpected error is
 * `INTERNAL_ERROR`.
 */
export function describeToolError(error: unknown): { code: ErrorCode; text: string } {
  const code = error instanceof CodexRunnerError ? error.code : isTemporalUnreachable(error) ? ErrorCode.temporalUnavailable : ErrorCode.internal;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  const next = NEXT_STEP[code] ?? 'Retry later, or tell the operator if it persists.';
  return { code, text: `${code}: ${message}. ${next}` };
}

function toolError(error: unknown): CallToolResult {
  const { code, text } = describeToolError(error);
  return { isError: true, content: [{ type: 'text', text }], structuredContent: { error: { code, message: text } } };
}

function toolResult(value: unknown): CallToolResult {
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { result: value };
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: structured };
}

function jsonResource(uri: URL, value: unknown): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

/**
 * `tools/list` and `tools/call` on the protocol server itself rather than through
 * `McpServer.registerTool`: the SDK's own argument check answers with its text, one line per zod
 * issue, where an agent should get the one line of {@link describeToolError} naming the field.
 */
function serveTools(server: Server, service: () => Promise<TaskOrchestrationService>): void {
  const tools = new Map<string, PlatoTool>(PLATO_TOOLS.map((tool) => [tool.name, tool]));
  server.registerCapabilities({ tools: {} });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: PLATO_TOOLS.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: z.toJSONSchema(tool.inputSchema, { target: 'draft-7', io: 'input' }) as Tool['inputSchema'],
      annotations: { readOnlyHint: tool.readOnly, ...(tool.readOnly ? {} : { destructiveHint: false }) },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }, extra): Promise<CallToolResult> => {
    try {
      const tool = tools.get(params.name);
      if (!tool) throw new ValidationError(`name: there is no tool ${params.name}; tools/list lists them`);
      const input = tool.inputSchema.safeParse(params.arguments ?? {});
      if (!input.success) throw new ValidationError(describeIssues(input.error));
      return toolResult(await tool.run(await service(), input.data, toolCallContext(params._meta?.progressToken, extra)));
    } catch (error) {
      return toolError(error);
    }
  });
}

/** Progress notifications to the caller's token (none when it sent no token), and its cancellation. */
function toolCallContext(progressToken: string | number | undefined, extra: RequestHandlerExtra<ServerRequest, ServerNotification>): ToolCallContext {
  return {
    signal: extra.signal,
    progress: async (progress, message) => {
      if (progressToken === undefined || extra.signal.aborted) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } });
    },
  };
}

/** A template variable as one string (the SDK gives `string | string[]`). */
function variable(value: string | string[] | undefined): string {
  return decodeURIComponent(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
}

/**
 * The MCP server of codex-runner: the `plato.*` tools of {@link PLATO_TOOLS} and the reference's
 * six `plato://` resources over a {@link TaskOrchestrationService}. A tool that fails answers
 * with `isError` and one line naming the error code and what to do; a resource that fails is a
 * protocol error with the same line. Connect it to a transport wrapped by {@link guardToolCalls}.
 *
 * `service` may be a function that makes the service: it is called for each tool call and
 * resource read, so one that connects on demand (see `codex-runner mcp`) lets the server list its
 * tools while Temporal is down and answer each call that cannot reach it with
 * `TEMPORAL_UNAVAILABLE`.
 */
export function createPlatoMcpServer(
  service: TaskOrchestrationService | (() => Promise<TaskOrchestrationService>),
  info: { name?: string; version?: string } = {},
): McpServer {
  const server = new McpServer({ name: info.name ?? 'plato', version: info.version ?? VERSION });
  const resolve = typeof service === 'function' ? service : () => Promise.resolve(service);

  serveTools(server.server, resolve);

  const respond = async (uri: URL, load: (service: TaskOrchestrationService) => Promise<unknown>): Promise<ReadResourceResult> => {
    try {
      return jsonResource(uri, await load(await resolve()));
    } catch (error) {
      throw new Error(describeToolError(error).text, { cause: error });
    }
  };
  const json = (description: string) => ({ description, mimeType: 'application/json' });
  const forTask = (name: string, uriTemplate: string, description: string, load: (service: TaskOrchestrationService, taskId: string) => Promise<unknown>) =>
    server.registerResource(name, new ResourceTemplate(uriTemplate, { list: undefined }), json(description), (uri, variables) =>
      respond(uri, (service) => load(service, variable(variables.taskId))),
    );

  server.registerResource('tasks', 'plato://tasks', json('Every orchestration task, newest first'), (uri) => respond(uri, (service) => service.listTasks()));
  server.registerResource('approvals', 'plato://approvals', json('Tasks awaiting approval, each with what the approver reviews (summary, diffStat)'), (uri) =>
    respond(uri, (service) => service.listTasks({ state: 'awaiting_approval' })),
  );
  forTask('task', 'plato://tasks/{taskId}', 'One orchestration task', async (service, taskId) => found(taskId, await service.getTask(taskId)));
  forTask('task-events', 'plato://tasks/{taskId}/events', "One task's events, in order", (service, taskId) => service.listEvents(taskId));
  forTask('graph', 'plato://graphs/{taskId}', 'The task graph of a parent or child task', async (service, taskId) =>
    found(taskId, await service.getTaskGraph(taskId)),
  );
  forTask('graph-results', 'plato://graphs/{taskId}/results', "A graph's worker results and synthesis", async (service, taskId) =>
    found(taskId, await service.getTaskGraphResults(taskId)),
  );
  return server;
}
