import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';

let relay: TestRelay;
let key: string;
let log: CapturedLog;

beforeAll(async () => {
  log = captureLog('info');
  relay = await startTestRelay({ logger: log.logger, env: { REQUEST_TIMEOUT_MS: '5000' } });
  key = (await relay.createKey()).key;
});
afterAll(() => relay.close());

/** Sends a request's headers and the first part of its body over a raw socket, then hangs up. */
async function sendPartOfABody(): Promise<void> {
  const { port } = new URL(relay.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    ['POST /api/n8n/webhook HTTP/1.1', `host: 127.0.0.1:${port}`, `authorization: Bearer ${key}`, 'content-type: application/json', 'content-length: 1000', '', '{"action":'].join('\r\n'),
  );
  // Long enough for the relay to start reading the body.
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.destroy();
}

describe('a request cut off in its body', () => {
  it('is not logged as an unhandled error of the relay (it was, with a stack, once per aborted upload)', async () => {
    for (let i = 0; i < 3; i++) await sendPartOfABody();
    // The relay is still answering, and its log holds no error line for what the clients did.
    expect((await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${key}` })).status).toBe(404);
    const errors = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });

  it('gives a client REQUEST_TIMEOUT_MS to send the whole request (Fastify has no limit of its own)', () => {
    // Node's HTTP server enforces it (408, then closes), checking every 30 s; a test waiting for
    // that would take as long, so the wiring is checked here.
    expect(relay.app.server.requestTimeout).toBe(5000);
    // With a longer headersTimeout, Node let a body that stopped half-way stay for 60–90 s.
    expect(relay.app.server.headersTimeout).toBe(5000);
  });
});
