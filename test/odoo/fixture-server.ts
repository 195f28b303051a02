/**
 * A loopback HTTP server that speaks Odoo's wire protocols by replaying the responses recorded
 * from a real Odoo 19 (test/odoo/fixtures), and that can be told to misbehave: hang, drop the
 * connection, answer garbage, an HTML page or a 5xx. Every request is recorded so tests can
 * count round trips.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { canonicalJson, fixture, fixtures, responseText, type RecordedExchange } from './fixtures.js';

export type Fault = 'hang' | 'drop' | 'garbage' | 'html' | 'bad-gateway' | 'huge';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** For JSON-RPC: `service.method`, and for execute_kw also `model.method`. */
  rpc?: string;
}

export interface CannedResponse {
  status: number;
  contentType?: string;
  body: string;
}

export interface FixtureServerOptions {
  database?: string;
  password?: string;
  apiKey?: string;
  uid?: number;
  /** `version_info` the server reports; default the recorded 19.0. */
  versionInfo?: [number | string, number, number, string, number, string];
  /** Serve `GET /web/version` (Odoo ≥ 16); when false that path 404s with an HTML page. */
  webVersion?: boolean;
  /** When false, `db.list` raises AccessDenied like Odoo with `list_db = False`. */
  listDb?: boolean;
}

export interface FixtureServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as few connections, many requests). */
  connections(): number;
  /** Requests whose path starts with `prefix` (all when omitted). */
  count(prefix?: string): number;
  /** Misbehave on requests whose path starts with `pathPrefix` (default: all). `null` heals. */
  setFault(fault: Fault | null, pathPrefix?: string): void;
  /** Wait this long before answering each request. */
  setDelay(ms: number): void;
  /** Answer requests yourself; return undefined to fall back to the replay. */
  setOverride(handler: ((req: RecordedRequest) => CannedResponse | undefined) | null): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Starts the replay server on a random loopback port. */
export async function startFixtureServer(options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const opts = {
    database: 'odoo_demo',
    password: 'admin',
    apiKey: 'test-api-key-0123456789abcdef',
    uid: 2,
    webVersion: true,
    listDb: true,
    ...options,
  };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  let fault: { kind: Fault; prefix: string } | null = null;
  let delayMs = 0;
  let override: ((req: RecordedRequest) => CannedResponse | undefined) | null = null;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded = record(req, text);
      requests.push(recorded);
      const respond = () => {
        if (fault && recorded.path.startsWith(fault.prefix)) return misbehave(fault.kind, req, res);
        const answer = override?.(recorded) ?? replay(recorded, text, opts);
        send(res, answer);
      };
      if (delayMs > 0) setTimeout(respond, delayMs);
      else respond();
    });
  });
  server.on('connection', (socket) => {
    connectionCount++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connectionCount,
    count: (prefix = '') => requests.filter((r) => r.path.startsWith(prefix)).length,
    setFault: (kind, pathPrefix = '') => {
      fault = kind ? { kind, prefix: pathPrefix } : null;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    setOverride: (handler) => {
      override = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function record(req: IncomingMessage, text: string): RecordedRequest {
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // keep raw text
  }
  const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
  const params = (body as { params?: { service?: string; method?: string; args?: unknown[] } } | null)?.params;
  if (recorded.path === '/jsonrpc' && params) {
    recorded.rpc = `${params.service}.${params.method}`;
    if (params.method === 'execute_kw' && Array.isArray(params.args)) recorded.rpc += ` ${params.args[3]}.${params.args[4]}`;
  }
  return recorded;
}

function send(res: ServerResponse, answer: CannedResponse): void {
  res.writeHead(answer.status, { 'content-type': answer.contentType ?? JSON_TYPE });
  res.end(answer.body);
}

function misbehave(kind: Fault, req: IncomingMessage, res: ServerResponse): void {
  switch (kind) {
    case 'hang':
      return; // never answer
    case 'drop':
      req.socket.destroy();
      return;
    case 'garbage':
      return send(res, { status: 200, body: '{"jsonrpc": "2.0", "resu' });
    case 'html':
      return send(res, { status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body>Login</body></html>' });
    case 'bad-gateway':
      return send(res, { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
    case 'huge': {
      // Declares nothing, streams more than any sane cap would accept.
      res.writeHead(200, { 'content-type': JSON_TYPE });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', pump);
        else res.end('[]');
      };
      res.on('error', () => undefined);
      pump();
      return;
    }
  }
}

type Opts = Required<Omit<FixtureServerOptions, 'versionInfo'>> & Pick<FixtureServerOptions, 'versionInfo'>;

function fromFixture(exchange: RecordedExchange): CannedResponse {
  return {
    status: exchange.response.status,
    contentType: exchange.response.headers['content-type'],
    body: responseText(exchange),
  };
}

function jsonRpcResult(result: unknown, id: unknown = 1): CannedResponse {
  return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id, result }) };
}

function jsonRpcError(name: string, message: string, id: unknown = 1): CannedResponse {
  return {
    status: 200,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      error: { code: 0, message: 'Odoo Server Error', data: { name, message, arguments: [message], context: {}, debug: 'Traceback…' } },
    }),
  };
}

function versionBody(opts: Opts) {
  const info = opts.versionInfo ?? [19, 0, 0, 'final', 0, ''];
  const serie = typeof info[0] === 'string' ? `${info[0]}.${info[1]}` : `${info[0]}.${info[1]}`;
  return { info, serie };
}

function replay(req: RecordedRequest, text: string, opts: Opts): CannedResponse {
  if (req.method === 'GET' && req.path === '/web/version') {
    if (!opts.webVersion) return fromFixture(fixture('http-unknown-route'));
    const { info, serie } = versionBody(opts);
    return { status: 200, body: JSON.stringify({ version_info: info, version: serie }) };
  }
  if (req.method === 'POST' && req.path === '/jsonrpc') return replayJsonRpc(req, text, opts);
  if (req.method === 'POST' && req.path.startsWith('/json/2/')) return replayJson2(req, opts);
  return fromFixture(fixture('http-unknown-route'));
}

function replayJsonRpc(req: RecordedRequest, text: string, opts: Opts): CannedResponse {
  if (typeof req.body !== 'object' || req.body === null) {
    return fromFixture(fixture('jsonrpc-malformed-envelope'));
  }
  const { id, params } = req.body as { id?: unknown; params: { service: string; method: string; args: unknown[] } };
  const { service, method, args } = params;
  const secretOk = (s: unknown) => s === opts.password || s === opts.apiKey;
  if (service === 'common' && method === 'version') {
    const { info, serie } = versionBody(opts);
    return jsonRpcResult({ server_version: serie, server_version_info: info, server_serie: serie, protocol_version: 1 }, id);
  }
  if (service === 'common' && (method === 'login' || method === 'authenticate')) {
    return jsonRpcResult(args[0] === opts.database && args[1] === 'admin' && secretOk(args[2]) ? opts.uid : false, id);
  }
  if (service === 'db' && method === 'list') {
    return opts.listDb ? fromFixture(fixture('jsonrpc-db-list')) : jsonRpcError('odoo.exceptions.AccessDenied', 'Access Denied', id);
  }
  if (service === 'object' && method === 'execute_kw') {
    const [db, uid, secret, model, odooMethod, callArgs, kwargs] = args;
    if (db !== opts.database || uid !== opts.uid || !secretOk(secret)) return fromFixture(fixture('jsonrpc-wrong-password'));
    const wanted = canonicalJson([model, odooMethod, callArgs ?? [], kwargs ?? {}]);
    for (const exchange of fixtures.values()) {
      const body = exchange.request.body as { params?: { method?: string; args?: unknown[] } } | string;
      if (exchange.request.path !== '/jsonrpc' || typeof body !== 'object' || body.params?.method !== 'execute_kw') continue;
      const a = body.params.args!;
      if (a[2] !== 'admin') continue; // the wrong-password recording
      if (canonicalJson([a[3], a[4], a[5] ?? [], a[6] ?? {}]) === wanted) return fromFixture(exchange);
    }
    return jsonRpcError('fixture.NoRecording', `no recorded answer for ${text.length > 200 ? `${model}.${odooMethod}` : wanted}`, id);
  }
  return jsonRpcError('builtins.KeyError', `unknown service ${service}.${method}`, id);
}

function replayJson2(req: RecordedRequest, opts: Opts): CannedResponse {
  const auth = req.headers.authorization;
  if (!auth) return fromFixture(fixture('json2-no-auth'));
  if (auth !== `bearer ${opts.apiKey}`) return fromFixture(fixture('json2-invalid-key'));
  if (req.path === '/json/2/res.users/context_get') {
    return { status: 200, body: JSON.stringify({ lang: 'en_US', tz: 'Europe/Brussels', uid: opts.uid }) };
  }
  // The key's login, which a connection test compares with the connection's (the recordings were made as admin).
  if (req.path === '/json/2/res.users/read' && canonicalJson(req.body) === canonicalJson({ ids: [opts.uid], fields: ['login'] })) {
    return { status: 200, body: JSON.stringify([{ id: opts.uid, login: 'admin' }]) };
  }
  const wanted = canonicalJson(req.body);
  for (const exchange of fixtures.values()) {
    if (exchange.request.path === req.path && exchange.request.headers.Authorization === 'bearer $API_KEY') {
      if (canonicalJson(exchange.request.body) === wanted) return fromFixture(exchange);
    }
  }
  return {
    status: 404,
    body: JSON.stringify({ name: 'werkzeug.exceptions.NotFound', message: `no recorded answer for ${req.path} ${wanted}`, arguments: [], context: {}, debug: '' }),
  };
}
