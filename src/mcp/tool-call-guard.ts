import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode as RpcErrorCode, isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '../contracts/errors';

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Drops a `null` `arguments` from a `tools/call` request (clients that serialise "no arguments" as
 * `null` are common) and returns the one-line problem with any other non-object. The MCP SDK checks
 * this itself before any handler runs and answers with the whole zod error as JSON.
 */
export function normalizeToolCall(message: JSONRPCMessage): string | undefined {
  if (!isJSONRPCRequest(message) || message.method !== 'tools/call' || !message.params) return undefined;
  const params = message.params as Record<string, unknown>;
  if (params.arguments === null) delete params.arguments;
  if (params.arguments === undefined || isPlainObject(params.arguments)) return undefined;
  const given = Array.isArray(params.arguments) ? 'an array' : typeof params.arguments;
  return `${ErrorCode.validation}: arguments: must be an object of the tool's fields, not ${given}. Fix the named field and call the tool again.`;
}

/**
 * The transport as the MCP server should see it: a `tools/call` whose `arguments` is not an
 * object is answered here, with one line, and never reaches the server.
 */
export function guardToolCalls(transport: Transport): Transport {
  const guarded: Transport = {
    start: () => transport.start(),
    send: (message, options) => transport.send(message, options),
    close: () => transport.close(),
    setProtocolVersion: (version) => transport.setProtocolVersion?.(version),
  };
  transport.onclose = () => guarded.onclose?.();
  transport.onerror = (error) => guarded.onerror?.(error);
  transport.onmessage = (message, extra) => {
    const problem = normalizeToolCall(message);
    if (problem === undefined) return guarded.onmessage?.(message, extra);
    const id = isJSONRPCRequest(message) ? message.id : 0;
    transport
      .send({ jsonrpc: '2.0', id, error: { code: RpcErrorCode.InvalidParams, message: problem } })
      .catch((error: unknown) => guarded.onerror?.(error as Error));
  };
  return guarded;
}
