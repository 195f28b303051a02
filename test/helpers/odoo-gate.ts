/**
 * A loopback pass-through in front of the Odoo test server that can hold requests until the
 * test releases them, so a "slow Odoo call" is as long as the test wants and no longer: no
 * latency to race against.
 */
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface OdooGate {
  url: string;
  /** Requests forwarded or held so far (paths). */
  requests: string[];
  /** From now on, requests wait at the gate until release(). */
  hold(): void;
  /** Lets every held request through and stops holding. */
  release(): void;
  /** Resolves once `count` requests are waiting at the gate. */
  whenHeld(count?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOdooGate(targetUrl: string): Promise<OdooGate> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let holding = false;
  let held: (() => void)[] = [];
  let watchers: { count: number; resolve: () => void }[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(req.url ?? '/');
      if (!holding) return forward(req, body, res);
      held.push(() => forward(req, body, res));
      for (const w of watchers.filter((w) => held.length >= w.count)) w.resolve();
      watchers = watchers.filter((w) => held.length < w.count);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const release = () => {
    holding = false;
    const go = held;
    held = [];
    for (const f of go) f();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hold: () => {
      holding = true;
    },
    release,
    whenHeld: (count = 1) =>
      held.length >= count ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        release();
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
