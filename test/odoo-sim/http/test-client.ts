/** Small HTTP helpers for the front's tests: JSON-RPC, web session, JSON-2 and XML-RPC calls. */
import { decodeMethodResponse, encodeMethodCall, type MethodResponse } from './xmlrpc-codec.js';

export interface JsonRpcAnswer {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data: { name: string; message: string; arguments: unknown[]; context: object; debug: string } };
}

export async function jsonRpc(url: string, path: string, params: unknown, cookie?: string): Promise<{ status: number; headers: Headers; body: JsonRpcAnswer }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id: 7 }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as JsonRpcAnswer };
}

export async function service(url: string, svc: string, method: string, args: unknown[]): Promise<JsonRpcAnswer> {
  return (await jsonRpc(url, '/jsonrpc', { service: svc, method, args })).body;
}

export async function json2(url: string, model: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/json/2/${model}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as any };
}

export async function xmlRpc(url: string, path: string, method: string, params: unknown[]): Promise<MethodResponse & { status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: encodeMethodCall(method, params) });
  const text = await res.text();
  return { ...decodeMethodResponse(text), status: res.status, contentType: res.headers.get('content-type'), text };
}

/** The `name=value` part of a Set-Cookie header, ready to send back. */
export function cookieOf(headers: Headers): string {
  const raw = headers.get('set-cookie');
  if (!raw) throw new Error('no Set-Cookie header');
  return raw.split(';')[0];
}
