/**
 * JSON-RPC 2.0 as Odoo speaks it: the `/jsonrpc` endpoint (services common/object/db) and the
 * envelope helpers that the `/web/*` routes (type='jsonrpc' in Odoo) share.
 */
import { OdooException } from '../contract.js';
import { injectedServerError, type Call, type SimState } from './context.js';
import { accessDenied, jsonRpcError, toOdooException } from './error-envelope.js';
import { HTML_ERROR_TYPE, send, sendJson } from './reply.js';
import { dispatchRpc } from './rpc-services.js';

export interface JsonRpcRequest {
  id: unknown;
  params: Record<string, unknown>;
}

/**
 * Parses the envelope. Odoo only needs a JSON object: `id` defaults to null, `params` to {};
 * `jsonrpc` and `method` are not checked. Anything else is werkzeug's BadRequest.
 */
export function parseJsonRpc(body: Buffer): JsonRpcRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  const params = obj.params;
  return {
    id: obj.id === undefined ? null : obj.id,
    params: typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {},
  };
}

export function sendInvalidJson(call: Call): void {
  send(call.res, 400, HTML_ERROR_TYPE, 'Invalid JSON data');
}

export function sendResult(call: Call, id: unknown, result: unknown, headers?: Record<string, string | string[]>): void {
  sendJson(call.res, 200, { jsonrpc: '2.0', id, result: result === undefined ? null : result }, headers);
}

export function sendError(call: Call, state: SimState, id: unknown, err: unknown, entry: 'jsonrpc' | 'web', headers?: Record<string, string | string[]>): void {
  const exc = toOdooException(err);
  sendJson(call.res, 200, { jsonrpc: '2.0', id, error: jsonRpcError(exc, state.version, entry) }, headers);
}

/** Throws the fault injector's protocol failure, if any, at the point the real server would fail. */
export function throwInjected(call: Call, denied: () => OdooException = accessDenied): void {
  if (call.injected === 'server_error') throw injectedServerError();
  if (call.injected === 'access_denied') throw denied();
}

/** `POST /jsonrpc`. */
export function handleJsonRpc(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (!request) return sendInvalidJson(call);
  const { id, params } = request;
  try {
    throwInjected(call);
    const args = params.args === undefined ? [] : params.args;
    if (!Array.isArray(args)) throw new OdooException('builtins.TypeError', 'dispatch_rpc() argument after * must be an iterable');
    const result = dispatchRpc({ engine: state.engine(), credentials: state.credentials }, params.service, params.method, args);
    sendResult(call, id, result);
  } catch (err) {
    sendError(call, state, id, err, 'jsonrpc');
  }
}
