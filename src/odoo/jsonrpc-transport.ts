/** JSON-RPC (`POST /jsonrpc`, services common/object/db): Odoo's only JSON API before 19, deprecated in 19, gone in 22. */
import { parseJsonRpcResponse } from './envelope.js';
import { DEFAULT_HEADERS, type OdooHttp } from './http.js';

const HEADERS = Object.freeze({ ...DEFAULT_HEADERS, 'content-type': 'application/json; charset=utf-8' });

/** The request body of one JSON-RPC service call. */
export function jsonRpcRequestBody(service: string, method: string, args: readonly unknown[], id: number): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id });
}

/** Calls `service.method(*args)` over `/jsonrpc`. */
export class JsonRpcTransport {
  private nextId = 1;

  constructor(
    private readonly http: OdooHttp,
    private readonly timeoutMs: number,
  ) {}

  /** One round trip; returns `result` or throws the mapped OdooError. */
  async call(service: string, method: string, args: readonly unknown[]): Promise<unknown> {
    const raw = await this.http.request({
      method: 'POST',
      path: '/jsonrpc',
      headers: HEADERS,
      body: jsonRpcRequestBody(service, method, args, this.nextId++),
      timeoutMs: this.timeoutMs,
    });
    return parseJsonRpcResponse(raw);
  }
}
