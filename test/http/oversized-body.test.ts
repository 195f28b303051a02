import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
let key: string;

beforeAll(async () => {
  relay = await startTestRelay();
  key = (await relay.createKey()).key;
});
afterAll(() => relay.close());

interface Outcome {
  status?: number;
  body?: string;
  /** The client's own failure (EPIPE, ECONNRESET) when the answer never reached it. */
  error?: string;
  /** Whether the server said 100 Continue. */
  continued: boolean;
}

/**
 * Uploads `size` bytes the way most HTTP clients do (n8n's, Python's, fetch): the whole body,
 * written as fast as the socket takes it, then reads the answer. A server that refuses early and
 * closes makes the client's next write fail, and the reset discards the answer it had not read.
 */
function upload(url: string, size: number, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { continued: false };
    const body = Buffer.alloc(size, 0x20);
    body[0] = 0x7b; // '{': the first byte of a JSON object, the rest blanks; never parsed anyway
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(size), authorization: `Bearer ${key}`, ...headers },
    });
    req.on('continue', () => {
      outcome.continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      outcome.status = res.statusCode;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ ...outcome, body: text }));
      res.on('error', (err) => resolve({ ...outcome, error: String(err) }));
    });
    req.on('error', (err) => resolve({ ...outcome, error: (err as NodeJS.ErrnoException).code ?? String(err) }));
    if (!headers.expect) req.end(body);
  });
}

describe('a body over BODY_LIMIT_BYTES', () => {
  it('reaches the client as 413 body_too_large, not as a broken pipe, however fast it uploads', async () => {
    // 5 MB against the 1 MiB default: most of these uploads were cut off by a reset before the fix.
    for (let i = 0; i < 8; i++) {
      const r = await upload(`${relay.url}/api/n8n/webhook`, 5 * 1024 * 1024);
      expect(r.error, `upload ${i}`).toBeUndefined();
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body!)).toMatchObject({ success: false, code: 'body_too_large' });
    }
  });

  it('is refused before the upload when the client asks first (Expect: 100-continue)', async () => {
    const r = await upload(`${relay.url}/api/n8n/webhook`, 5 * 1024 * 1024, { expect: '100-continue' });
    expect(r.continued).toBe(false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body!)).toMatchObject({ code: 'body_too_large' });
  });

  it('still says 100 Continue to a body within the limit', async () => {
    const r = await upload(`${relay.url}/api/n8n/webhook`, 64, { expect: '100-continue' });
    expect(r.continued).toBe(true);
    // 64 bytes of '{' and blanks: read, then refused as JSON.
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body!)).toMatchObject({ code: 'invalid_json' });
  });

  it('keeps the connection for the next request once the refused body is read (it was closed)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 2; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request(`${relay.url}/api/n8n/webhook`, {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          req.on('error', reject);
          req.end(Buffer.alloc(2 * 1024 * 1024, 0x20));
        });
        expect(status).toBe(413);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
