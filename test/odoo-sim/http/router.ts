/**
 * The route table and the per-request pipeline: admin routes, dropped connections, body limit,
 * latency, injected failures, then the protocol handler. Unknown routes get Odoo's 404 page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Call, SimState } from './context.js';
import type { FaultState } from './faults.js';
import { handleJson2 } from './json2.js';
import { handleJsonRpc } from './jsonrpc.js';
import {
  BAD_GATEWAY_PAGE, INTERNAL_SERVER_ERROR_PAGE, METHOD_NOT_ALLOWED_PAGE, REQUEST_TOO_LARGE_PAGE, notFoundPage, werkzeugErrorPage,
} from './not-found-page.js';
import { HTML_ERROR_TYPE, HTML_PAGE_TYPE, JSON_TYPE, XML_TYPE, newSessionId, readCookie, send, sendJson, sessionCookie } from './reply.js';
import { handleAuthenticate, handleCallKw, handleDestroy, handleGetSessionInfo, handleVersionInfo } from './session.js';
import { webVersion } from './versions.js';
import { handleXmlRpc } from './xmlrpc.js';

/** Odoo's default `max_content_length` (werkzeug answers 413 above it). */
export const MAX_BODY_BYTES = 128 * 1024 * 1024;

type Handler = (call: Call) => void;

interface Route {
  handler: Handler;
  /**
   * Only these methods reach the handler; others get 405. Odoo's JSON routes declare no methods
   * (the dispatcher's content-type check and body parsing refuse a GET); XML-RPC declares POST.
   */
  methods?: string[];
  /** The content type a garbage answer pretends to have. */
  contentType: string;
  /** For Odoo's JSON route types: the route as declared, and its type, to refuse non-JSON requests. */
  json?: { route: string; type: 'jsonrpc' | 'json2' };
}

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => void;

function match(state: SimState, path: string): Route | undefined {
  if (path === '/jsonrpc') return { handler: (c) => handleJsonRpc(c, state), contentType: JSON_TYPE, json: { route: '/jsonrpc', type: 'jsonrpc' } };
  if (path.startsWith('/xmlrpc/')) {
    const rest = path.slice('/xmlrpc/'.length).split('/');
    if (rest.length === 2 && rest[0] === '2' && rest[1]) {
      return { handler: (c) => handleXmlRpc(c, state, rest[1], false), methods: ['POST'], contentType: XML_TYPE };
    }
    if (rest.length === 1 && rest[0]) {
      return { handler: (c) => handleXmlRpc(c, state, rest[0], true), methods: ['POST'], contentType: XML_TYPE };
    }
    return undefined;
  }
  // JSON-2 appeared in Odoo 19; on 17 and 18 these paths are unknown routes.
  if (state.version >= 19 && (path === '/json/2' || path.startsWith('/json/2/'))) {
    const segments = path === '/json/2' ? [] : path.slice('/json/2/'.length).split('/');
    return { handler: (c) => handleJson2(c, state, segments), contentType: JSON_TYPE, json: { route: '/json/2/<model>/<method>', type: 'json2' } };
  }
  switch (path) {
    case '/web/session/authenticate':
      return { handler: (c) => handleAuthenticate(c, state), contentType: JSON_TYPE, json: { route: '/web/session/authenticate', type: 'jsonrpc' } };
    case '/web/session/get_session_info':
      return { handler: (c) => handleGetSessionInfo(c, state), contentType: JSON_TYPE, json: { route: '/web/session/get_session_info', type: 'jsonrpc' } };
    case '/web/session/destroy':
      return { handler: (c) => handleDestroy(c, state), contentType: JSON_TYPE, json: { route: '/web/session/destroy', type: 'jsonrpc' } };
    case '/web/webclient/version_info':
      return { handler: (c) => handleVersionInfo(c, state), contentType: JSON_TYPE, json: { route: '/web/webclient/version_info', type: 'jsonrpc' } };
    case '/web/version':
      return {
        handler: (c) => sendJson(c.res, 200, webVersion(state.version), anonymousCookie(c)),
        methods: ['GET', 'HEAD', 'POST'],
        contentType: JSON_TYPE,
      };
  }
  if (path === '/web/dataset/call_kw' || path.startsWith('/web/dataset/call_kw/')) {
    return { handler: (c) => handleCallKw(c, state), contentType: JSON_TYPE, json: { route: '/web/dataset/call_kw', type: 'jsonrpc' } };
  }
  return undefined;
}

/** Odoo's http routes hand a visitor without a cookie a fresh (anonymous) session. */
function anonymousCookie(call: Call): Record<string, string> | undefined {
  return readCookie(call.req.headers.cookie, 'session_id') ? undefined : { 'set-cookie': sessionCookie(newSessionId()) };
}

function notFound(call: Call, state: SimState): void {
  // Until a route matches, Odoo's request keeps the http dispatcher, so every unmatched path,
  // JSON or not, gets the 404 page (JSON-2 on 17/18 included).
  send(call.res, 404, HTML_PAGE_TYPE, notFoundPage(state.version), anonymousCookie(call));
}

const JSON_MIMETYPES = new Set(['application/json', 'application/json-rpc']);

function isJsonRequest(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return JSON_MIMETYPES.has(type);
}

/**
 * Odoo picks a dispatcher by the route's type and refuses a request whose mimetype does not fit.
 * 17 and 18 raise werkzeug's BadRequest (400; 17 still called the JSON-RPC type 'json'); 19
 * raises UnsupportedMediaType (415) with a hint and an Accept header (odoo/odoo#219446).
 */
function refuseNonJson(call: Call, state: SimState, json: NonNullable<Route['json']>): void {
  const type = json.type === 'jsonrpc' && state.version === 17 ? 'json' : json.type;
  const message = `Request inferred type is compatible with ['http'] but '${json.route}' is type='${type}'.`;
  if (state.version < 19) {
    send(call.res, 400, HTML_ERROR_TYPE, werkzeugErrorPage(400, 'Bad Request', message));
    return;
  }
  const accept = json.type === 'json2' ? 'application/json' : 'application/json, application/json-rpc';
  const page = werkzeugErrorPage(415, 'Unsupported Media Type', `${message}\n\nPlease verify the Content-Type request header and try again.`);
  send(call.res, 415, HTML_ERROR_TYPE, page, { accept });
}

/** Reads the body; resolves undefined (after answering 413) when it exceeds the limit. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    tooLarge(res);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge(res);
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that gives up mid-upload: nothing to answer (a no-op after 'end').
    req.on('close', () => resolve(undefined));
  });
}

function tooLarge(res: ServerResponse): void {
  if (res.headersSent) return;
  // The rest of the upload is not read: close the connection rather than drain it.
  send(res, 413, HTML_ERROR_TYPE, REQUEST_TOO_LARGE_PAGE, { connection: 'close' });
}

const GARBAGE = {
  [JSON_TYPE]: '{"jsonrpc": "2.0", "id": 1, "result": [{"id": 1, "na\u0000\u0001<<garbage>>',
  [XML_TYPE]: '<?xml version="1.0"?>\n<methodResponse>\n<params>\n<param>\n<value><str\u0000<<garbage>>',
} as Record<string, string>;

export interface RouterOptions {
  state: SimState;
  faults: FaultState;
  admin: AdminHandler;
  maxBodyBytes?: number;
}

export function createRequestListener(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { state, faults, admin } = options;
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/__sim/')) {
      const body = await readBody(req, res, limit);
      if (body) admin(req, res, path, body);
      return;
    }
    if (faults.dropConnections) {
      req.socket.destroy();
      return;
    }
    const body = await readBody(req, res, limit);
    if (!body) return;
    // Like a busy Odoo worker: the call runs (and commits) after the delay even when the
    // client has given up meanwhile; only the answer goes nowhere.
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);

    const call: Call = { req, res, path, body };
    const route = match(state, path);
    const failure = faults.nextFailure();
    if (failure === 'http_500') return send(res, 500, HTML_ERROR_TYPE, INTERNAL_SERVER_ERROR_PAGE);
    if (failure === 'http_502') return send(res, 502, 'text/html', BAD_GATEWAY_PAGE);
    if (failure === 'garbage') {
      const type = route?.contentType ?? JSON_TYPE;
      return send(res, 200, type, GARBAGE[type] ?? GARBAGE[JSON_TYPE]);
    }
    if (failure) call.injected = failure;
    if (!route) return notFound(call, state);
    if (route.methods && !route.methods.includes(req.method ?? 'GET')) {
      return send(res, 405, HTML_ERROR_TYPE, METHOD_NOT_ALLOWED_PAGE, { allow: route.methods.join(', ') });
    }
    if (route.json && !isJsonRequest(req)) return refuseNonJson(call, state, route.json);
    route.handler(call);
  }

  return (req, res) => {
    serve(req, res).catch((err: unknown) => {
      // A bug in the sim: answer like werkzeug does for an unhandled exception, and say why on stderr.
      console.error('odoo-sim: unhandled error', err);
      if (!res.headersSent) send(res, 500, HTML_ERROR_TYPE, INTERNAL_SERVER_ERROR_PAGE);
      else res.destroy();
    });
  };
}
