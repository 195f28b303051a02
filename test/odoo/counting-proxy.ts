/**
 * A transparent loopback HTTP proxy that records every request it forwards, so tests can count
 * the round trips a client really makes to an Odoo server that keeps no such count itself. It
 * can also hold requests until the test releases them, so a "slow Odoo call" lasts exactly as
 * long as the test wants: no latency to race against.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  /** `service.method` (+ ` model.method` for execute_kw) on /jsonrpc. */
  rpc?: string;
}

export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Requests whose path starts with `prefix` (all when omitted). */
  count(prefix?: string): number;
  /** From now on, requests wait here (recorded, not forwarded) until release(). */
  hold(): void;
  /** Forwards every held request and stops holding. */
  release(): void;
  /** Resolves once `count` requests are waiting. */
  whenHeld(count?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a random loopback port forwarding to `targetUrl`. */
export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let holding = false;
  let held: (() => void)[] = [];
  let watchers: { count: number; resolve: () => void }[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The upstream dropping us is passed on as a dropped connection, like a real network would.
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(body);
  };

  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(describe(req, body));
      if (!holding) return forward(req, body, res);
      held.push(() => forward(req, body, res));
      for (const w of watchers) if (held.length >= w.count) w.resolve();
      watchers = watchers.filter((w) => held.length < w.count);
    });
  });
  const release = () => {
    holding = false;
    const go = held;
    held = [];
    for (const f of go) f();
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (prefix = '') => requests.filter((r) => r.path.startsWith(prefix)).length,
    hold: () => {
      holding = true;
    },
    release,
    whenHeld: (count = 1) => (held.length >= count ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        release();
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function describe(req: IncomingMessage, body: Buffer): ProxiedRequest {
  const described: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
  if (described.path === '/jsonrpc') {
    try {
      const params = (JSON.parse(body.toString('utf8')) as { params?: { service?: string; method?: string; args?: unknown[] } }).params;
      if (params) {
        described.rpc = `${params.service}.${params.method}`;
        if (params.method === 'execute_kw' && Array.isArray(params.args)) described.rpc += ` ${params.args[3]}.${params.args[4]}`;
      }
    } catch {
      // not JSON: leave rpc unset
    }
  }
  return described;
}
