import type { LookupAddress } from 'node:dns';
import { Webhook } from 'standardwebhooks';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nextAttemptDelay, classifyResponse } from '../../src/events/retry-schedule.js';
import { sendWebhook, USER_AGENT, validateCustomHeaders, RESPONSE_BODY_PREFIX_BYTES } from '../../src/events/sender.js';
import { generateSigningSecret, generateWebhookId, signDelivery } from '../../src/events/signing.js';
import { createGuardedAgent } from '../../src/events/ssrf-guard.js';
import { buildEventPayload, eventIdFor, serializePayload } from '../../src/events/payload.js';
import { fromXml } from '../helpers/xml-payload.js';
import { startReceiver, RECEIVER_RETRY_AFTER, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const LOOPBACK = { allow: ['127.0.0.0/8'] };
const secret = generateSigningSecret();
const body = JSON.stringify({ id: 'evt_1', type: 'res.partner.created', data: { id: 55, name: 'Hooked Partner' } });

let receiver: WebhookReceiver;
let agent: Agent;

beforeAll(async () => {
  receiver = await startReceiver();
  agent = createGuardedAgent(LOOPBACK);
});
afterEach(() => {
  receiver.setMode('ok');
  receiver.requests.length = 0;
});
afterAll(async () => {
  await agent.close();
  await receiver.close();
});

function send(overrides: Partial<Parameters<typeof sendWebhook>[0]> = {}) {
  return sendWebhook({
    url: receiver.url,
    body,
    contentType: 'application/json',
    headers: signDelivery({ secret, webhookId: generateWebhookId(), timestamp: new Date(), body }),
    timeoutMs: 2_000,
    dispatcher: agent,
    addressPolicy: LOOPBACK,
    ...overrides,
  });
}

describe('sendWebhook against a real receiver', () => {
  it('delivers a signed body the receiver can verify, with relay and custom headers', async () => {
    const result = await send({ customHeaders: { Authorization: 'Bearer n8n-token', 'X-Tenant': 'acme' } });
    expect(result).toMatchObject({ ok: true, status: 200, responseBodyPrefix: 'received' });
    expect(result.error).toBeUndefined();
    expect(result.responseHeaders).toEqual(
      expect.objectContaining({ 'content-type': 'text/plain', 'x-request-id': 'rcv-1' }),
    );
    expect(result.responseHeaders).not.toHaveProperty('set-cookie');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    const [request] = await receiver.waitFor(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hook');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^odoo-relay\/\d+\.\d+\.\d+/);
    expect(request.headers.authorization).toBe('Bearer n8n-token');
    expect(request.headers['x-tenant']).toBe('acme');
    expect(request.rawBody.toString('utf8')).toBe(body);
    const verified = new Webhook(secret).verify(request.rawBody.toString('utf8'), request.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(body));
  });

  it('reports a 500 with a capped body prefix, to be retried', async () => {
    receiver.setMode('fail500');
    const result = await send();
    expect(result).toMatchObject({ ok: false, status: 500 });
    expect(result.responseBodyPrefix).toHaveLength(RESPONSE_BODY_PREFIX_BYTES);
    expect(classifyResponse(result.status!)).toBe('retry');
  });

  it('passes Retry-After of a 429 on to the retry schedule', async () => {
    receiver.setMode('429');
    const result = await send();
    expect(result).toMatchObject({ ok: false, status: 429, retryAfter: RECEIVER_RETRY_AFTER });
    expect(nextAttemptDelay({ attempt: 1, status: result.status, retryAfterHeader: result.retryAfter, random: () => 0.5 })).toBe(10_000);
  });

  it('reports 410 Gone so the subscription can be disabled', async () => {
    receiver.setMode('410');
    const result = await send();
    expect(result).toMatchObject({ ok: false, status: 410 });
    expect(classifyResponse(result.status!)).toBe('gone');
  });

  it('does not follow redirects', async () => {
    receiver.setMode('redirect');
    const result = await send();
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(result.responseHeaders.location).toMatch(/\/elsewhere$/);
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook']);
  });

  it('times out a receiver that never answers, without throwing', async () => {
    receiver.setMode('hang');
    const result = await send({ timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result.status).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(classifyResponse(result.error!)).toBe('retry');
  });

  it('stops reading an endless response body after the prefix', async () => {
    receiver.setMode('endless');
    const result = await send({ timeoutMs: 10_000 });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.error).toBeUndefined();
    expect(result.responseBodyPrefix).toBe('a'.repeat(RESPONSE_BODY_PREFIX_BYTES));
    expect(result.durationMs).toBeLessThan(5_000); // did not wait for the 10 s timeout
  });

  it('reports a refused connection as a network error', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const result = await send({ url });
    expect(result).toMatchObject({ ok: false, error: 'network' });
    expect(result.errorMessage).toBeTruthy();
  });

  it.each([
    [{ 'webhook-signature': 'v1,forged' }, /webhook-signature is set by the relay/],
    [{ Host: 'internal' }, /host is set by the relay/],
    [{ 'Content-Length': '1' }, /content-length/],
    [{ 'X-Bad': 'line\r\nInjected: 1' }, /invalid value/],
  ])('refuses custom headers %j without sending', async (customHeaders, problem) => {
    const result = await send({ customHeaders });
    expect(result).toMatchObject({ ok: false, error: 'invalid_headers' });
    expect(result.errorMessage).toMatch(problem);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('building blocks composed as the worker will', () => {
  it.each(['json', 'xml'] as const)('a %s event arrives verifiable and intact', async (format) => {
    const payload = buildEventPayload({
      id: eventIdFor({ model: 'res.partner', recordId: 55, event: 'create', version: '2026-11-24 13:31:09' }),
      model: 'res.partner',
      recordId: 55,
      event: 'create',
      occurredAt: new Date('2026-11-24T13:31:09Z'),
      data: { name: 'Hooked Partner', email: false, parent_id: [9, 'Acme Corporation'] },
    });
    const { body: serialized, contentType } = serializePayload(JSON.stringify(payload), format);
    const webhookId = generateWebhookId();
    const result = await send({
      body: serialized,
      contentType,
      headers: signDelivery({ secret, webhookId, timestamp: new Date(), body: serialized }),
    });
    expect(result.ok).toBe(true);

    const [request] = await receiver.waitFor(1);
    const raw = request.rawBody.toString('utf8');
    expect(request.headers['content-type']).toBe(contentType);
    expect(request.headers['webhook-id']).toBe(webhookId);
    new Webhook(secret).verify(raw, request.headers as Record<string, string>, { jsonParse: false });
    expect(format === 'json' ? JSON.parse(raw) : fromXml(raw)).toEqual(payload);
  });
});

describe('SSRF protection end to end', () => {
  // Resolves every name to loopback, as a rebinding attacker's DNS would.
  const toLoopback = (_host: string, _opts: unknown, cb: (e: null, a: LookupAddress[]) => void) =>
    cb(null, [{ address: '127.0.0.1', family: 4 }]);

  it('refuses a literal loopback URL unless allowed', async () => {
    const result = await send({ addressPolicy: {} });
    expect(result).toMatchObject({ ok: false, error: 'ssrf_refused' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('the guarded agent refuses a loopback IP even when the static check is skipped', async () => {
    const strict = createGuardedAgent();
    try {
      const result = await send({ dispatcher: strict });
      expect(result).toMatchObject({ ok: false, error: 'ssrf_refused' });
      expect(result.errorMessage).toMatch(/^refusing to connect to 127\.0\.0\.1: /);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('the guarded agent refuses an IPv6 loopback literal', async () => {
    const strict = createGuardedAgent();
    try {
      const url = `http://[::1]:${receiver.port}/hook`;
      const result = await send({ url, dispatcher: strict, addressPolicy: { allow: ['::1'] } });
      expect(result).toMatchObject({ ok: false, error: 'ssrf_refused' });
      expect(result.errorMessage).toMatch(/^refusing to connect to ::1: /);
    } finally {
      await strict.close();
    }
  });

  it('refuses a host name that resolves to loopback, checking the resolved address', async () => {
    const strict = createGuardedAgent({ lookup: toLoopback });
    try {
      const url = `http://receiver.example:${receiver.port}/hook`;
      const result = await send({ url, dispatcher: strict, addressPolicy: {} });
      expect(result).toMatchObject({ ok: false, error: 'ssrf_refused' });
      expect(result.errorMessage).toMatch(/^refusing to connect to receiver\.example: /);
      expect(result.errorMessage).not.toContain('127.0.0.1');
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('connects to the resolved address when the operator allows the range', async () => {
    const lenient = createGuardedAgent({ ...LOOPBACK, lookup: toLoopback });
    try {
      const url = `http://receiver.example:${receiver.port}/hook`;
      const result = await send({ url, dispatcher: lenient, addressPolicy: {} });
      expect(result).toMatchObject({ ok: true, status: 200 });
      const [request] = await receiver.waitFor(1);
      expect(request.headers.host).toBe(`receiver.example:${receiver.port}`);
    } finally {
      await lenient.close();
    }
  });

  it('uses only the allowed addresses of a name that resolves into an allowed range (localhost: 127.0.0.1 and ::1)', async () => {
    const localhost = createGuardedAgent({
      ...LOOPBACK,
      lookup: (_h, _o, cb) => cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]),
    });
    try {
      const result = await send({ url: `http://localhost:${receiver.port}/hook`, dispatcher: localhost, addressPolicy: {} });
      expect(result).toMatchObject({ ok: true, status: 200 });
      await receiver.waitFor(1);
    } finally {
      await localhost.close();
    }
  });

  it('refuses when any resolved address is private, even if another is public', async () => {
    const mixed = createGuardedAgent({
      lookup: (_h, _o, cb) => cb(null, [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }]),
    });
    try {
      const result = await send({ url: 'http://mixed.example/hook', dispatcher: mixed, addressPolicy: {} });
      expect(result).toMatchObject({ ok: false, error: 'ssrf_refused' });
      expect(result.errorMessage).toMatch(/^refusing to connect to mixed\.example: /);
      expect(result.errorMessage).not.toContain('10.0.0.5');
    } finally {
      await mixed.close();
    }
  });

  it('reports DNS failures as dns errors', async () => {
    const failing = createGuardedAgent({
      lookup: (host, _o, cb) => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []),
    });
    try {
      const result = await send({ url: 'http://nowhere.example/hook', dispatcher: failing, addressPolicy: {} });
      expect(result).toMatchObject({ ok: false, error: 'dns' });
    } finally {
      await failing.close();
    }
  });

  it('refuses non-http schemes and credentials before any connection', async () => {
    expect(await send({ url: 'ftp://127.0.0.1/hook' })).toMatchObject({ error: 'invalid_url' });
    expect(await send({ url: `http://u:p@127.0.0.1:${receiver.port}/hook` })).toMatchObject({ error: 'invalid_url' });
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('validateCustomHeaders', () => {
  it.each<[Record<string, string>, boolean]>([
    [{}, true],
    [{ Authorization: 'Bearer x', 'X-Api-Key': 'k' }, true],
    [{ 'bad name': 'x' }, false],
    [{ 'User-Agent': 'me' }, false],
    [{ 'Proxy-Foo': 'x' }, false],
    [{ 'X-A': 'x', 'x-a': 'y' }, false],
    [{ 'X-Unicode': 'café ☕' }, false],
    [{ 'X-Long': 'x'.repeat(5000) }, false],
  ])('%j → ok=%s', (headers, ok) => {
    expect(validateCustomHeaders(headers).ok).toBe(ok);
  });
});
