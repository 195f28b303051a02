import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { clientErrorHandler } from '../../src/http/client-error.js';
import type { FastifyInstance } from 'fastify';

/**
 * A request Node's HTTP parser refuses never reaches Fastify's routes: it is answered by the
 * client-error handler. Node hands that handler the raw bytes it read (`rawPacket`), headers and
 * cookies included; at LOG_LEVEL=trace they must not be logged. The answer is the relay's error
 * envelope: 400 invalid_request (431 headers_too_large), then the socket is closed.
 */
const SECRET = 'sk_live_RAWPACKET_NEVER_LOGGED';

/** Writes raw bytes to the relay and reads everything it answers until it closes the socket. */
function rawExchange(url: string, bytes: string): Promise<{ answer: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is the closing we expect
    socket.on('close', () => resolve({ answer: Buffer.concat(chunks).toString('latin1'), closed: true }));
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error('the relay neither answered nor closed the socket'));
    });
  });
}

describe('a request the HTTP parser refuses', () => {
  let relay: TestRelay;
  let log: CapturedLog;

  beforeAll(async () => {
    log = captureLog('trace');
    relay = await startTestRelay({ logger: log.logger, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await relay.close();
  });

  it('is answered 400 and closed, and only its error code is logged, never its bytes', async () => {
    const before = log.lines.length;
    const { answer, closed } = await rawExchange(
      relay.url,
      `POST /api/n8n/webhook HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${SECRET}\r\nCookie: session=${SECRET}\r\nThis is not a header\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer.endsWith('\r\n\r\n{"success":false,"error":"The HTTP request is malformed","details":null,"code":"invalid_request"}')).toBe(true);
    expect(closed).toBe(true);
    const logged = log.lines.slice(before).join('');
    expect(logged).not.toContain('rawPacket');
    expect(logged).not.toContain(SECRET);
    // A byte array would hide the secret from a text search: no buffer of any kind.
    expect(logged).not.toContain('"type":"Buffer"');
    expect(logged).toContain('HPE_INVALID_HEADER_TOKEN');
  });

  it('answers oversized headers 431, without logging them', async () => {
    const before = log.lines.length;
    const { answer, closed } = await rawExchange(relay.url, `GET /healthz HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${SECRET}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ success: false, error: expect.stringContaining('16 KB'), details: null, code: 'headers_too_large' });
    expect(closed).toBe(true);
    const logged = log.lines.slice(before).join('');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('"type":"Buffer"');
  });

  it('leaves well-formed requests alone', async () => {
    const { answer } = await rawExchange(relay.url, 'GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});

describe('a request that does not arrive in time', () => {
  // Node finds such requests every 30 s (REQUEST_TIMEOUT_MS, see cut-off-body.test.ts), too slow
  // for a test: the handler gets Node's error on a real socket, as Node hands it over.
  it('is answered 408 request_timeout in the envelope, and closed', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Node's HTTP server listens for the error the handler destroys the socket with; so does this.
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', (socket: net.Socket) => resolve(socket.on('error', () => {}))));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    client.on('error', () => {});
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    const error = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    const log = captureLog('trace');
    clientErrorHandler.call({ log: log.logger } as unknown as FastifyInstance, error, await accepted);
    await closed;
    server.close();
    const answer = Buffer.concat(chunks).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ success: false, code: 'request_timeout' });
  });
});
