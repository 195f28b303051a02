import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooError } from '../../src/odoo/errors.js';
import { OdooHttp } from '../../src/odoo/http.js';

/**
 * OdooHttp against a real loopback server that answers each path in a way Odoo or a proxy in
 * front of it can: whole, in pieces, too large, too slowly, or not at all.
 */
type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const euro = Buffer.from('€', 'utf8'); // three bytes, split across two chunks below

const routes: Record<string, Route> = {
  '/echo': (req, res, body) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null }));
  },
  '/pieces': (_req, res) => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    // Chunked, with a multi-byte character cut between two writes.
    res.write(Buffer.concat([Buffer.from('["a'), euro.subarray(0, 1)]));
    setTimeout(() => res.end(Buffer.concat([euro.subarray(1), Buffer.from('b"]')])), 20);
  },
  '/declared-large': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
    res.end('x'.repeat(5000));
  },
  '/chunked-large': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
    res.end();
  },
  '/trickle': (_req, res) => {
    // Each pause is shorter than the call's timeout, so only the overall deadline can end it.
    res.setHeader('content-type', 'application/json');
    res.write('[');
    const timer = setInterval(() => res.write('1,'), 60);
    res.on('close', () => clearInterval(timer));
  },
  '/throttled': (_req, res) => {
    res.writeHead(429, { 'content-type': 'text/html', 'retry-after': '30' }).end('<html><body>Too Many Requests</body></html>');
  },
  '/moved': (_req, res) => {
    res.writeHead(301, { location: 'https://odoo.example.com/odoo?token=secret' }).end();
  },
  '/silent': () => {
    // Never answers: the headers timeout ends the call.
  },
  '/drop-mid-body': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => req.socket.destroy(), 20);
  },
};

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/prefix/, '');
      const route = routes[path];
      if (route) route(req, res, body);
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs `use` with a client of `baseUrl`, closing it (and its pool) whatever happens. */
async function withOdoo(baseUrl: string, use: (odoo: OdooHttp) => Promise<void>, maxBodyBytes?: number): Promise<void> {
  const odoo = new OdooHttp(baseUrl, maxBodyBytes);
  try {
    await use(odoo);
  } finally {
    await odoo.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<OdooError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OdooError);
  return error as OdooError;
}

describe('OdooHttp', () => {
  it('sends method, path below the base URL, headers and body, and reads the answer', async () => {
    await withOdoo(`${base}/prefix/`, async (odoo) => {
      const answer = await odoo.request({ method: 'POST', path: '/echo', headers: { authorization: 'bearer k' }, body: '{"a":1}', timeoutMs: 2000 });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toBe('application/json');
      expect(JSON.parse(answer.text)).toEqual({ method: 'POST', url: '/prefix/echo', body: '{"a":1}', auth: 'bearer k' });
    });
  });

  it("keeps Retry-After and Location of answers that are not Odoo's own, for the caller's message", async () => {
    await withOdoo(base, async (odoo) => {
      expect(await odoo.request({ method: 'POST', path: '/throttled', body: '{}', timeoutMs: 2000 })).toMatchObject({ status: 429, retryAfter: '30' });
      expect(await odoo.request({ method: 'POST', path: '/moved', body: '{}', timeoutMs: 2000 })).toMatchObject({ status: 301, location: 'https://odoo.example.com/odoo?token=secret' });
      expect((await odoo.request({ method: 'POST', path: '/echo', body: '{}', timeoutMs: 2000 })).retryAfter).toBeUndefined();
    });
  });

  it('gives back the shared pool after a call sent once the client was closed (one that waited in the queue)', async () => {
    const open = new Set<net.Socket>();
    const own = http.createServer((req, res) => req.resume().on('end', () => res.end('true')));
    own.on('connection', (socket: net.Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    try {
      const odoo = new OdooHttp(`http://127.0.0.1:${(own.address() as net.AddressInfo).port}`);
      await odoo.close();
      expect((await odoo.request({ method: 'POST', path: '/late', body: '{}', timeoutMs: 2000 })).text).toBe('true');
      // Kept, the pool would hold its keep-alive socket for seconds, and the pool itself for good.
      for (let waited = 0; open.size > 0 && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(open.size).toBe(0);
    } finally {
      own.closeAllConnections();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    }
  });

  it('joins a body that arrives in pieces, a character split between them included', async () => {
    await withOdoo(base, async (odoo) => {
      const answer = await odoo.request({ method: 'GET', path: '/pieces', timeoutMs: 2000 });
      expect(answer.text).toBe('["a€b"]');
      expect(answer.contentType).toBe('application/json; charset=utf-8');
    });
  });

  it('refuses an answer whose declared length is over the cap, and one that grows over it without declaring it', async () => {
    await withOdoo(base, async (odoo) => {
      for (const path of ['/declared-large', '/chunked-large']) {
        const error = await failure(odoo.request({ method: 'GET', path, timeoutMs: 2000 }));
        expect(error.code).toBe('odoo_bad_response');
        expect(error.message).toMatch(/exceeds 4096 bytes \(ODOO_MAX_RESPONSE_BYTES\); narrow the query/);
      }
      // The pool is still good for the next call.
      expect((await odoo.request({ method: 'POST', path: '/echo', body: 'ok', timeoutMs: 2000 })).status).toBe(200);
    }, 4096);
  });

  it('ends a body that keeps trickling in past the deadline as a timeout that may have run', async () => {
    await withOdoo(base, async (odoo) => {
      const started = performance.now();
      const error = await failure(odoo.request({ method: 'GET', path: '/trickle', timeoutMs: 300 }));
      expect(error.code).toBe('odoo_timeout');
      expect(error.mayHaveRun).toBe(true);
      expect(error.message).toContain('300 ms');
      expect(performance.now() - started).toBeLessThan(2000);
    });
  });

  it('times out an answer whose headers never come', async () => {
    await withOdoo(base, async (odoo) => {
      const error = await failure(odoo.request({ method: 'GET', path: '/silent', timeoutMs: 200 }));
      expect(error.code).toBe('odoo_timeout');
      expect(error.mayHaveRun).toBe(true);
    });
  });

  it('reports a connection dropped in the middle of the body as one that may have run', async () => {
    await withOdoo(base, async (odoo) => {
      const error = await failure(odoo.request({ method: 'GET', path: '/drop-mid-body', timeoutMs: 2000 }));
      expect(error.code).toBe('odoo_unreachable');
      expect(error.message).toMatch(/connection dropped/);
      expect(error.mayHaveRun).toBe(true);
    });
  });

  it('reports a refused connection without claiming the call may have run', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await withOdoo(`http://127.0.0.1:${port}`, async (odoo) => {
      const error = await failure(odoo.request({ method: 'GET', path: '/web/version', timeoutMs: 2000 }));
      expect(error.code).toBe('odoo_unreachable');
      expect(error.message).toMatch(/connection refused/);
      expect(error.mayHaveRun).toBeFalsy();
    });
  });

  it('refuses a header value undici cannot send as a failed call, not a throw', async () => {
    await withOdoo(base, async (odoo) => {
      const error = await failure(odoo.request({ method: 'GET', path: '/echo', headers: { 'x-bad': 'a\r\nb' }, timeoutMs: 2000 }));
      expect(error.code).toBe('odoo_unreachable');
      expect(error.message).toMatch(/UND_ERR_INVALID_ARG/);
    });
  });
});
