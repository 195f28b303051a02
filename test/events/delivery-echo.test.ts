/**
 * A receiver that echoes what it got (httpbin's /anything, a debug endpoint, an error page that
 * quotes the Authorization it refused): the subscription's custom header values are stored
 * encrypted and the API shows only their names, so the delivery log must not show them either —
 * nor the signing secret, should a receiver print the one it was configured with.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEventsRig, until, type EventsRig } from './helpers.js';
import { RESPONSE_BODY_PREFIX_BYTES } from '../../src/events/sender.js';

type Answer = { status?: number; headers?: OutgoingHttpHeaders; body: string };

let rig: EventsRig;
let server: Server;
let url: string;
let respond: (headers: IncomingHttpHeaders) => Answer = () => ({ body: 'ok' });

beforeAll(async () => {
  rig = await startEventsRig({ noise: 'none' });
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = respond(req.headers);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rig.close();
});
afterEach(() => {
  respond = () => ({ body: 'ok' });
});

const TOKEN = 'rcv-token-Zq8Wv5Xk9Jm3Rt8Yp2Ln4';
// `"` and `\` are legal in a header value; a JSON echo writes them escaped.
const API_KEY = 'key"with\\escapes-Hs6Bd1Fg7Tc0';

/** A subscription to the echoing receiver whose capture never fires: only test sends reach it. */
const quietSubscription = () => ({
  model: 'res.partner',
  targetUrl: url,
  captureMode: 'poll',
  events: ['create'],
  domain: [['name', '=', 'nobody-matches-this']],
});

/** Subscribes with custom headers, sends the test event, and returns the stored attempt as the API shows it. */
async function firstAttempt(headers: Record<string, string>): Promise<{ attempt: any; secret: string; raw: string }> {
  const created = await rig.api('POST', '/api/v1/subscriptions', { ...quietSubscription(), headers });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { subscription, secret } = created.body as { subscription: { id: string }; secret: string };
  const sent = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/test`);
  expect(sent.status).toBeLessThan(300);
  const deliveryId = sent.body.deliveryId as string;
  const one = await until(async () => {
    const r = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries/${deliveryId}`);
    return r.body?.attempts?.length ? r.body : undefined;
  });
  const raw = JSON.stringify(await rig.relay.ctx.storage.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).execute());
  return { attempt: one.attempts[0], secret, raw };
}

/** Every 6-character piece of `value`, as written and JSON-escaped, found in `text`. */
function piecesOf(value: string, text: string): string[] {
  const found = new Set<string>();
  for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
    for (let i = 0; i + 6 <= form.length; i++) if (text.includes(form.slice(i, i + 6))) found.add(form.slice(i, i + 6));
  }
  return [...found];
}

describe('the delivery log of a receiver that echoes the request', () => {
  it('masks custom header values echoed in the body, as written or JSON-escaped, and in logged response headers', async () => {
    respond = (h) => ({
      status: 401,
      headers: { 'x-request-id': String(h.authorization), location: `https://login.example/?key=${encodeURIComponent(String(h['x-api-key']))}&raw=${String(h['x-api-key'])}` },
      body: JSON.stringify({ error: 'refused', headers: h }),
    });
    const { attempt, raw } = await firstAttempt({ authorization: `Bearer ${TOKEN}`, 'x-api-key': API_KEY });
    expect(attempt.status).toBe(401);
    // The echo is still there to read, minus the values.
    expect(JSON.parse(attempt.responseBody).headers['webhook-id']).toMatch(/^msg_/);
    expect(JSON.parse(attempt.responseBody).headers.authorization).toBe('[redacted]');
    for (const stored of [JSON.stringify(attempt), raw]) {
      expect(piecesOf(TOKEN, stored)).toEqual([]);
      expect(piecesOf(API_KEY, stored)).toEqual([]);
    }
  });

  it('masks a custom header value echoed PHP-style, percent-encoded in lower case, or in an HTML page', async () => {
    const value = 'Bearer abc/def+ghi=jkl&mnop';
    respond = (h) => {
      const echoed = String(h['x-api-token']);
      const lowerHex = encodeURIComponent(echoed).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
      const html = echoed.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
      return {
        status: 500,
        headers: { 'content-type': 'text/html', 'x-request-id': lowerHex },
        body: `<p>Refused &quot;${html}&quot;</p><script>var t = ${JSON.stringify(echoed).replaceAll('/', '\\/')};</script><a href="/retry?t=${lowerHex}">retry</a>`,
      };
    };
    const { attempt, raw } = await firstAttempt({ 'x-api-token': value });
    expect(attempt.status).toBe(500);
    expect(attempt.responseBody).toBe('<p>Refused &quot;[redacted]&quot;</p><script>var t = "[redacted]";</script><a href="/retry?t=[redacted]">retry</a>');
    expect(attempt.responseHeaders['x-request-id']).toBe('[redacted]');
    for (const stored of [JSON.stringify(attempt), raw]) {
      for (const piece of ['abc/def', 'abc\\/def', 'abc%2fdef', 'jkl&amp;mnop', 'ghi%3djkl']) expect(stored).not.toContain(piece);
    }
  });

  it('masks a value the 1 KiB body prefix cuts short', async () => {
    // The token starts 12 bytes before the cut: only its first 12 characters are stored.
    respond = (h) => ({ body: `${'x'.repeat(RESPONSE_BODY_PREFIX_BYTES - 12)}${String(h['x-receiver-token'])} and more` });
    const { attempt, raw } = await firstAttempt({ 'x-receiver-token': TOKEN });
    expect(attempt.responseBody.startsWith('xxxx')).toBe(true);
    expect(piecesOf(TOKEN, JSON.stringify(attempt))).toEqual([]);
    expect(piecesOf(TOKEN, raw)).toEqual([]);
  });

  it('never stores the signing secret, should the receiver print it', async () => {
    let configured = '';
    respond = () => ({ status: 400, body: `signature mismatch; configured secret ${configured}` });
    // The receiver learns the secret as its owner would: from the subscription's creation answer.
    const created = await rig.api('POST', '/api/v1/subscriptions', quietSubscription());
    configured = created.body.secret;
    const id = created.body.subscription.id as string;
    const sent = await rig.api('POST', `/api/v1/subscriptions/${id}/test`);
    const one = await until(async () => {
      const r = await rig.api('GET', `/api/v1/subscriptions/${id}/deliveries/${sent.body.deliveryId}`);
      return r.body?.attempts?.length ? r.body : undefined;
    });
    expect(one.attempts[0].responseBody).toMatch(/^signature mismatch; configured secret /);
    expect(JSON.stringify(one)).not.toContain(configured.slice('whsec_'.length, 'whsec_'.length + 12));
  });
});
