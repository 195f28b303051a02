/** Writing responses with the exact headers Odoo (werkzeug) sends. */
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const XML_TYPE = 'text/xml; charset=utf-8';
// werkzeug writes the HTML 404 page's type without a space, BadRequest's with one: both as recorded.
export const HTML_PAGE_TYPE = 'text/html;charset=utf-8';
export const HTML_ERROR_TYPE = 'text/html; charset=utf-8';

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers?: Record<string, string | string[]>): void {
  // Strings go to the socket as they are (no intermediate Buffer copy); only their length is measured.
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const h: Record<string, string | number | string[]> = { 'content-type': contentType, 'content-length': length };
  if (headers) Object.assign(h, headers);
  res.writeHead(status, h);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers?: Record<string, string | string[]>): void {
  // Python's json.dumps turns None into null; JSON.stringify(undefined) would produce nothing.
  send(res, status, JSON_TYPE, JSON.stringify(value === undefined ? null : value), headers);
}

export const SESSION_MAX_AGE = 604800; // a week, as Odoo's SESSION_LIFETIME

export function newSessionId(): string {
  return randomBytes(30).toString('base64url');
}

/** `session_id=…; Expires=…; Max-Age=604800; HttpOnly; Path=/` as werkzeug formats it. */
export function sessionCookie(sid: string, now = Date.now()): string {
  const expires = new Date(now + SESSION_MAX_AGE * 1000).toUTCString().replace(/ GMT$/, ' GMT');
  return `session_id=${sid}; Expires=${expires}; Max-Age=${SESSION_MAX_AGE}; HttpOnly; Path=/`;
}

/** The deleting cookie werkzeug sends on logout. */
export function expiredSessionCookie(): string {
  return 'session_id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/';
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
