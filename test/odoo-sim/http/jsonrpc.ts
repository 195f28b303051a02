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
 * `jsonrpc` and `method` are not checked. Unparsable JSON and JSON that is not an object are
 * answered with a bare 400 (`sendInvalidJson`), bypassing the error envelope.
 */
export function parseJsonRpc(body: Buffer): JsonRpcRequest | 'invalid-json' | 'invalid-jsonrpc' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'invalid-json';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid-jsonrpc';
  const obj = parsed as Record<string, unknown>;
  const params = obj.params;
  return {
    id: obj.id === undefined ? null : obj.id,
    params: typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {},
  };
}

/** `abort(Response("Invalid JSON data", status=400))`: a JSON.parse failure, or `.get` on a non-object. */
export function sendInvalidJson(call: Call, why: 'invalid-json' | 'invalid-jsonrpc'): void {
  send(call.res, 400, HTML_ERROR_TYPE, why === 'invalid-json' ? 'Invalid JSON data' : 'Invalid JSON-RPC data');
}

export function sendResult(call: Call, id: unknown, result: unknown, headers?: Record<string, string | string[]>): void {
  // Odoo adds `result` only when it is not None: a method returning None answers {jsonrpc, id}.
  const body = result === undefined || result === null ? { jsonrpc: '2.0', id } : { jsonrpc: '2.0', id, result };
  sendJson(call.res, 200, body, headers);
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

/** Python's "'a' and 'b'" / "'a', 'b', and 'c'" listing in TypeError messages. */
function pythonNameList(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length === 1) return quoted[0];
  if (quoted.length === 2) return `${quoted[0]} and ${quoted[1]}`;
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
}

/** `POST /jsonrpc`. */
export function handleJsonRpc(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  const { id, params } = request;
  try {
    throwInjected(call);
    // The controller is `jsonrpc(self, service, method, args)`: all three are required.
    const missing = ['service', 'method', 'args'].filter((k) => params[k] === undefined);
    if (missing.length > 0) {
      const owner = state.version >= 19 ? 'JSONRPC' : 'RPC';
      throw new OdooException('builtins.TypeError', `${owner}.jsonrpc() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${pythonNameList(missing)}`);
    }
    const args = params.args;
    if (!Array.isArray(args)) throw new OdooException('builtins.TypeError', 'dispatch_rpc() argument after * must be an iterable');
    const result = dispatchRpc({ engine: state.engine(), credentials: state.credentials }, params.service, params.method, args);
    sendResult(call, id, result);
  } catch (err) {
    sendError(call, state, id, err, 'jsonrpc');
  }
}
