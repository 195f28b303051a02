/**
 * A real HTTP receiver on loopback for delivery tests: records every request with its raw
 * body and answers according to a mode the test can switch at any time.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode =
  | 'ok' // 200, small body, plus headers the sender must not pass on (set-cookie)
  | 'fail500'
  | 'hang' // never answers
  | 'held' // answers 200 when the test calls release()
  | '429' // Retry-After: 7
  | '410'
  | 'redirect' // 302 to another loopback URL
  | 'endless' // 200 and a body that never ends
  | 'nul'; // 200 and a body holding a NUL and a byte that is not UTF-8

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  setMode(mode: ReceiverMode): void;
  /** Answers 200 to every request held so far ('held' mode). */
  release(): void;
  /** Resolves once `n` requests have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export const RECEIVER_RETRY_AFTER = '7';

export async function startReceiver(initialMode: ReceiverMode = 'ok'): Promise<WebhookReceiver> {
  let mode = initialMode;
  const requests: ReceivedRequest[] = [];
  const listeners = new Set<() => void>();
  const endless = new Set<NodeJS.Timeout>();
  const held: ServerResponse[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        receivedAt: Date.now(),
      });
      for (const listener of listeners) listener();
      respond(mode, res);
    });
  });

  function respond(current: ReceiverMode, res: ServerResponse) {
    switch (current) {
      case 'ok':
        res.writeHead(200, {
          'content-type': 'text/plain',
          'x-request-id': 'rcv-1',
          'set-cookie': 'session=secret',
        });
        res.end('received');
        return;
      case 'fail500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(5000)); // longer than the sender keeps
        return;
      case 'hang':
        return; // keep the socket open; close() tears it down
      case 'held':
        held.push(res);
        return;
      case '429':
        res.writeHead(429, { 'retry-after': RECEIVER_RETRY_AFTER });
        res.end('slow down');
        return;
      case '410':
        res.writeHead(410);
        res.end('gone');
        return;
      case 'redirect':
        res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` });
        res.end();
        return;
      case 'nul':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(Buffer.from('ok\x00nul\xff', 'latin1'));
        return;
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 0x61)), 1);
        endless.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          endless.delete(timer);
        });
        return;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    setMode(next) {
      mode = next;
    },
    release() {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('received');
      }
    },
    waitFor(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice(0, n));
      return new Promise((resolve, reject) => {
        const listener = () => {
          if (requests.length < n) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(requests.slice(0, n));
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`receiver got ${requests.length} of ${n} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(listener);
      });
    },
    async close() {
      for (const timer of endless) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
