import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ReadResourceResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CodexRunnerError, ValidationError } from '../client/errors';
import { ErrorCode } from '../contracts/errors';
import { describeIssues } from '../contracts/validation';
import type { TaskOrchestrationService } from '../orchestration/task-orchestration-service';
import { PLATO_TOOLS, found, type PlatoTool } from './plato-tools';
import { VERSION } from '../version';

/** What an agent should do next, per error code; the message itself names the problem. */
const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.validation]: 'Fix the named field and call the tool again.',
  [ErrorCode.taskNotFound]: 'Check the task id; plato.list_tasks lists the tasks that exist.',
  [ErrorCode.taskAlreadyExists]: 'Use another taskId, or omit it to get a new one.',
  [ErrorCode.wrongState]: 'Read the task with plato.get_task and choose an operation its state allows.',
  [ErrorCode.temporalUnavailable]: 'Tell the operator; nothing was started.',
  [ErrorCode.workerUnavailable]: 'Tell the operator to start a worker (`codex-runner worker`); the task waits until one runs.',
  [ErrorCode.agentRuntimeNotRegistered]: 'Omit runtimeId, or use one of the registered runtimes.',
  [ErrorCode.agentRuntimeUnsupported]: 'That runtime cannot do this; use plato.interrupt_task or ask the operator.',
};

/** An error as an agent reads it: `CODE: message. Next step.` An unexpected error is `INTERNAL_ERROR`. */
export function describeToolError(error: unknown): { code: ErrorCode; text: string } {
  const code = error instanceof CodexRunnerError ? error.code : ErrorCode.internal;
  const message = error instanceof Error ? error.message : String(error);
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
function serveTools(server: Server, service: TaskOrchestrationService): void {
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
  server.setRequestHandler(CallToolRequestSchema, async ({ params }): Promise<CallToolResult> => {
    try {
      const tool = tools.get(params.name);
      if (!tool) throw new ValidationError(`name: there is no tool ${params.name}; tools/list lists them`);
      const input = tool.inputSchema.safeParse(params.arguments ?? {});
      if (!input.success) throw new ValidationError(describeIssues(input.error));
      return toolResult(await tool.run(service, input.data));
    } catch (error) {
      return toolError(error);
    }
  });
}

/** A template variable as one string (the SDK gives `string | string[]`). */
function variable(value: string | string[] | undefined): string {
  return decodeURIComponent(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
}

/**
 * The MCP server of codex-runner: the reference's eleven `plato.*` tools (and `plato.get_task_diff`, `plato.retry_task`, `plato.add_subtasks`, `plato.cancel_task`, `plato.request_task_changes`), its six `plato://`
 * resources over a {@link TaskOrchestrationService}. A tool that fails answers with `isError` and
 * one line naming the error code and what to do; a resource that fails is a protocol error with
 * the same line. Connect it to a transport wrapped by {@link guardToolCalls}.
 */
export function createPlatoMcpServer(service: TaskOrchestrationService, info: { name?: string; version?: string } = {}): McpServer {
  const server = new McpServer({ name: info.name ?? 'plato', version: info.version ?? VERSION });

  serveTools(server.server, service);

  const respond = async (uri: URL, load: () => Promise<unknown>): Promise<ReadResourceResult> => {
    try {
      return jsonResource(uri, await load());
    } catch (error) {
      throw new Error(describeToolError(error).text, { cause: error });
    }
  };
  const json = (description: string) => ({ description, mimeType: 'application/json' });
  const forTask = (name: string, uriTemplate: string, description: string, load: (taskId: string) => Promise<unknown>) =>
    server.registerResource(name, new ResourceTemplate(uriTemplate, { list: undefined }), json(description), (uri, variables) =>
      respond(uri, () => load(variable(variables.taskId))),
    );

  server.registerResource('tasks', 'plato://tasks', json('Every orchestration task, newest first'), (uri) => respond(uri, () => service.listTasks()));
  server.registerResource('approvals', 'plato://approvals', json('Tasks awaiting approval, each with what the approver reviews (summary, diffStat)'), (uri) =>
    respond(uri, () => service.listTasks({ state: 'awaiting_approval' })),
  );
  forTask('task', 'plato://tasks/{taskId}', 'One orchestration task', async (taskId) => found(taskId, await service.getTask(taskId)));
  forTask('task-events', 'plato://tasks/{taskId}/events', "One task's events, in order", (taskId) => service.listEvents(taskId));
  forTask('graph', 'plato://graphs/{taskId}', 'The task graph of a parent or child task', async (taskId) => found(taskId, await service.getTaskGraph(taskId)));
  forTask('graph-results', 'plato://graphs/{taskId}/results', "A graph's worker results and synthesis", async (taskId) =>
    found(taskId, await service.getTaskGraphResults(taskId)),
  );
  return server;
}
