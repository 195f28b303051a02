import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { call, login, logRows, type Method } from './helpers.js';

/** Every way the REST API refuses a call, with the same codes as the webhook. */
const SIM_API_KEY = 'sim-admin-api-key-0123456789';
let sim: OdooSim;
let relay: TestRelay;
let full: string;

beforeAll(async () => {
  sim = await startOdooSim({ version: 19, apiKey: SIM_API_KEY, automationNoise: 'none' });
  relay = await startTestRelay();
  await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: SIM_API_KEY });
  full = (await relay.createKey()).key;
});
afterAll(async () => {
  await relay.close();
  await sim.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('authentication', () => {
  it.each([
    ['no credentials', {}, 'unauthenticated'],
    ['an unknown key', bearer('sk_live_notarealkey0000000000000000000'), 'invalid_api_key'],
    ['a malformed Authorization header', { authorization: 'Basic abc' }, 'invalid_api_key'],
    ['an unknown session cookie', { cookie: `relay_session=${'A'.repeat(43)}` }, 'session_expired'],
  ])('refuses %s with 401', async (_label, headers, code) => {
    for (const [method, path] of [['GET', '/api/v1/models/res.partner'], ['POST', '/api/v1/models/res.partner'], ['DELETE', '/api/v1/models/res.partner/9']] as const) {
      const r = await call(relay, method, path, headers, method === 'POST' ? { name: 'x' } : undefined);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body).toMatchObject({ success: false, code, requestId: expect.any(String) });
    }
  });

  it('reads a trailing slash as the same resource', async () => {
    const record = await call(relay, 'GET', '/api/v1/models/res.partner/9/?fields=name', bearer(full));
    expect(record.status, record.text).toBe(200);
    expect(record.body.data).toMatchObject({ id: 9 });
    const list = await call(relay, 'GET', '/api/v1/models/res.partner/?limit=1', bearer(full));
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toHaveLength(1);
  });

  it('accepts the key in X-API-Key too', async () => {
    const r = await call(relay, 'GET', '/api/v1/models/res.partner/9?fields=name', { 'x-api-key': full });
    expect(r.status).toBe(200);
  });

  it('refuses a revoked or expired key', async () => {
    const expired = await relay.createKey({ expiresAt: Date.now() - 1000 });
    const r = await call(relay, 'GET', '/api/v1/models/res.partner', bearer(expired.key));
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('api_key_expired');
  });
});

describe('scopes and allow-lists', () => {
  it('a read-scope key can list, get and describe fields but not create, update, delete or call methods', async () => {
    const { key, id } = await relay.createKey({ scopes: ['read'] });
    const h = bearer(key);
    expect((await call(relay, 'GET', '/api/v1/models/res.partner?limit=1', h)).status).toBe(200);
    expect((await call(relay, 'GET', '/api/v1/models/res.partner/9', h)).status).toBe(200);
    expect((await call(relay, 'GET', '/api/v1/models/res.partner/fields', h)).status).toBe(200);
    const refused: [Method, string, unknown][] = [
      ['POST', '/api/v1/models/res.partner', { name: 'Nope' }],
      ['PATCH', '/api/v1/models/res.partner/9', { name: 'Nope' }],
      ['DELETE', '/api/v1/models/res.partner/9', undefined],
      ['POST', '/api/v1/models/sale.order/1/action_confirm', undefined],
    ];
    for (const [method, path, body] of refused) {
      const r = await call(relay, method, path, h, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe('forbidden_scope');
    }
    // A read-only business method is allowed with `read`.
    expect((await call(relay, 'POST', '/api/v1/models/res.partner/9/has_access', h, { args: ['read'] })).status).toBe(200);
    // A misspelt key is named, not ignored (the method would run with no arguments).
    const misspelt = await call(relay, 'POST', '/api/v1/models/res.partner/9/has_access', h, { arg: ['read'] });
    expect(misspelt.status, misspelt.text).toBe(400);
    expect(misspelt.body.code).toBe('invalid_request');
    expect(JSON.stringify(misspelt.body.details)).toContain('arg');
    // Nothing reached Odoo: the partner keeps its name.
    expect((await call(relay, 'GET', '/api/v1/models/res.partner/9?fields=name', h)).body.data.name).not.toBe('Nope');
    const rows = await logRows(relay, id);
    expect(rows.filter((r) => r.code === 'forbidden_scope').map((r) => r.action).sort()).toEqual(['rest.create', 'rest.delete', 'rest.method', 'rest.update']);
  });

  it('a subscriptions-only key cannot use the models API', async () => {
    const { key } = await relay.createKey({ scopes: ['subscriptions'] });
    const r = await call(relay, 'GET', '/api/v1/models/res.partner', bearer(key));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('forbidden_scope');
  });

  it('enforces the model allow-list (with wildcards) and the method allow-list per ORM method', async () => {
    const { key } = await relay.createKey({ allowedModels: ['sale.*'], allowedMethods: ['search_read', 'search_count', 'read', 'action_confirm'] });
    const h = bearer(key);
    expect((await call(relay, 'GET', '/api/v1/models/sale.order?limit=1', h)).status).toBe(200);
    const model = await call(relay, 'GET', '/api/v1/models/res.partner', h);
    expect(model.status).toBe(403);
    expect(model.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'res.partner' } });
    const fields = await call(relay, 'GET', '/api/v1/models/sale.order/fields', h);
    expect(fields.status).toBe(403);
    expect(fields.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'fields_get' } });
    const del = await call(relay, 'DELETE', '/api/v1/models/sale.order/1', h);
    expect(del.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink' } });
    // Listing needs search_count too.
    const { key: noCount } = await relay.createKey({ allowedMethods: ['search_read'] });
    const list = await call(relay, 'GET', '/api/v1/models/sale.order', bearer(noCount));
    expect(list.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'search_count' } });
  });

  it('answers a create with just the id when the key may create but not read', async () => {
    const { key } = await relay.createKey({ allowedMethods: ['create'] });
    const r = await call(relay, 'POST', '/api/v1/models/res.partner', bearer(key), { name: 'Write-only' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ success: true, data: { id: expect.any(Number) } });
  });

  it('refuses private methods whatever the scopes', async () => {
    const r = await call(relay, 'POST', '/api/v1/models/res.partner/9/_compute_display_name', bearer(full));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('private_method');
  });
});

describe('request validation', () => {
  it.each([
    ['/api/v1/models/Res.Partner', 'params.model'],
    ['/api/v1/models/res.partner/0', 'params.id'],
    ['/api/v1/models/res.partner/abc', 'params.id'],
    ['/api/v1/models/res.partner?domain=not-json', 'querystring.domain'],
    [`/api/v1/models/res.partner?domain=${encodeURIComponent('{"is_company":true}')}`, 'querystring.domain'],
    [`/api/v1/models/res.partner?domain=${encodeURIComponent('[["a","="]]')}`, 'querystring.domain'],
    // Thousands of levels parse, then overflowed the stack when the call to Odoo was serialized.
    [`/api/v1/models/res.partner?domain=[["name","in",${'['.repeat(7000)}${']'.repeat(7000)}]]`, 'querystring.domain'],
    // A NUL as JSON text in the parameter (%5Cu0000): no %00 for the URL check to see.
    [`/api/v1/models/res.partner?domain=${encodeURIComponent('[["name","not ilike","\\u0000"]]')}`, 'querystring.domain'],
    ['/api/v1/models/res.partner?fields=name;drop', 'querystring.fields'],
    ['/api/v1/models/res.partner?limit=0', 'querystring.limit'],
    ['/api/v1/models/res.partner?limit=1001', 'querystring.limit'],
    ['/api/v1/models/res.partner?limit=ten', 'querystring.limit'],
    ['/api/v1/models/res.partner?offset=-1', 'querystring.offset'],
    [`/api/v1/models/res.partner?order=${encodeURIComponent('name; drop table res_partner')}`, 'querystring.order'],
    [`/api/v1/models/res.partner?order=${encodeURIComponent('(select 1)')}`, 'querystring.order'],
  ])('GET %s → 400 invalid_request naming %s', async (path, field) => {
    const r = await call(relay, 'GET', path, bearer(full));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_request');
    expect(r.body.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('refuses bodies that are not a field-values object, and bad method bodies', async () => {
    for (const body of ['[1,2]', '"name"', '{"bad key": 1}']) {
      const r = await call(relay, 'POST', '/api/v1/models/res.partner', bearer(full), body);
      expect(r.status, body).toBe(400);
      expect(r.body.code).toBe('invalid_request');
    }
    const notJson = await call(relay, 'POST', '/api/v1/models/res.partner', bearer(full), '{name:');
    expect(notJson.body.code).toBe('invalid_json');
    const args = await call(relay, 'POST', '/api/v1/models/sale.order/1/action_confirm', bearer(full), { args: 'x' });
    expect(args.status).toBe(400);
    expect(args.body.details.fields[0].field).toBe('body.args');
  });

  it('answers 404 no_odoo_connection for a user without an Odoo connection', async () => {
    const other = await startTestRelay();
    try {
      const r = await call(other, 'GET', '/api/v1/models/res.partner', bearer((await other.createKey()).key));
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('no_odoo_connection');
    } finally {
      await other.close();
    }
  });
});

describe('rate limits', () => {
  it('counts REST calls against the key budget with X-RateLimit-* headers and answers 429 like the webhook', async () => {
    const { key } = await relay.createKey({ rateLimit: 3 });
    const h = bearer(key);
    const first = await call(relay, 'GET', '/api/v1/models/res.partner/9', h);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect(Date.parse(String(first.headers['x-ratelimit-reset']))).toBeGreaterThan(Date.now());
    // The webhook and the REST API share one budget per key.
    await relay.post('/api/n8n/webhook', { action: 'get_config' }, h);
    await call(relay, 'GET', '/api/v1/models/res.partner/9', h);
    const limited = await call(relay, 'POST', '/api/v1/models/res.partner', h, { name: 'Too many' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, code: 'rate_limited', limit: 3, resetAt: expect.any(String) });
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('HMAC-signed keys', () => {
  it('require a signature over the request line and the raw body, so that no signature serves another request', async () => {
    const { key, hmacSecret } = await relay.createKey({ hmac: true });
    const h = bearer(key);
    const sign = (line: string, body = '') => crypto.createHmac('sha256', hmacSecret!).update(`${line}\n${body}`).digest('hex');
    const body = JSON.stringify({ name: 'Signed Customer' });
    const missing = await call(relay, 'POST', '/api/v1/models/res.partner', h, body);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'invalid_signature', details: { reason: 'missing_signature' } });
    const wrong = crypto.createHmac('sha256', 'not-the-secret').update(`POST /api/v1/models/res.partner\n${body}`).digest('hex');
    const bad = await call(relay, 'POST', '/api/v1/models/res.partner', { ...h, 'x-hmac-signature': wrong }, body);
    expect(bad.status).toBe(401);
    expect(bad.text).not.toContain(hmacSecret!);
    // The webhook's scheme (the body alone) is not enough here.
    const bodyOnly = crypto.createHmac('sha256', hmacSecret!).update(body).digest('hex');
    expect((await call(relay, 'POST', '/api/v1/models/res.partner', { ...h, 'x-hmac-signature': bodyOnly }, body)).body.details.reason).toBe('mismatch');
    const ok = await call(relay, 'POST', '/api/v1/models/res.partner', { ...h, 'x-hmac-signature': sign('POST /api/v1/models/res.partner', body) }, body);
    expect(ok.status).toBe(201);
    expect(ok.body.data.name).toBe('Signed Customer');
    const id = ok.body.data.id as number;
    // A GET has an empty body: its request line (query string included) is what is signed.
    const unsignedGet = await call(relay, 'GET', `/api/v1/models/res.partner/${id}`, h);
    expect(unsignedGet.body.code).toBe('invalid_signature');
    const getLine = `GET /api/v1/models/res.partner/${id}?fields=name`;
    const got = await call(relay, 'GET', `/api/v1/models/res.partner/${id}?fields=name`, { ...h, 'x-hmac-signature': sign(getLine) });
    expect(got.status, got.text).toBe(200);
    // The GET's signature does not delete the record, nor read another one.
    expect((await call(relay, 'DELETE', `/api/v1/models/res.partner/${id}`, { ...h, 'x-hmac-signature': sign(getLine) })).body.details.reason).toBe('mismatch');
    expect((await call(relay, 'GET', '/api/v1/models/res.partner/9?fields=name', { ...h, 'x-hmac-signature': sign(getLine) })).status).toBe(401);
    expect((await call(relay, 'GET', `/api/v1/models/res.partner/${id}?fields=name`, bearer(full))).status).toBe(200);
    // Timestamped: `<timestamp>.` before the request line.
    const ts = String(Math.floor(Date.now() / 1000));
    const stamped = crypto.createHmac('sha256', hmacSecret!).update(`${ts}.DELETE /api/v1/models/res.partner/${id}\n`).digest('hex');
    expect((await call(relay, 'DELETE', `/api/v1/models/res.partner/${id}`, { ...h, 'x-hmac-signature': stamped, 'x-hmac-timestamp': ts })).status).toBe(204);
  });
});

describe('dashboard sessions', () => {
  let session: { cookie: string; csrfToken: string };
  beforeAll(async () => {
    session = await login(relay);
  });

  it('may read without a CSRF token, with no rate limit headers', async () => {
    const r = await call(relay, 'GET', '/api/v1/models/res.partner/9?fields=name', { cookie: session.cookie });
    expect(r.status).toBe(200);
    expect(r.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('needs the CSRF token to change data', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/v1/models/res.partner', { name: 'CSRF' }],
      ['PATCH', '/api/v1/models/res.partner/9', { phone: '1' }],
      ['DELETE', '/api/v1/models/res.partner/9', undefined],
      ['POST', '/api/v1/models/sale.order/1/action_confirm', undefined],
    ] as const) {
      const none = await call(relay, method, path, { cookie: session.cookie }, body);
      expect(none.status, `${method} ${path}`).toBe(403);
      expect(none.body.code).toBe('csrf_failed');
      const wrong = await call(relay, method, path, { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(session.csrfToken.length) }, body);
      expect(wrong.body.code).toBe('csrf_failed');
    }
    const ok = await call(relay, 'POST', '/api/v1/models/res.partner', { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, { name: 'From the dashboard' });
    expect(ok.status).toBe(201);
  });

  it('is refused cross-site, even with the CSRF token', async () => {
    const read = await call(relay, 'GET', '/api/v1/models/res.partner/9', { cookie: session.cookie, origin: 'https://evil.example' });
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('cross_site_request');
    // The subscriptions API holds sessions to the same rule: its listings name target URLs.
    const subscriptions = await call(relay, 'GET', '/api/v1/subscriptions', { cookie: session.cookie, 'sec-fetch-site': 'cross-site' });
    expect([subscriptions.status, subscriptions.body.code]).toEqual([403, 'cross_site_request']);
    expect((await call(relay, 'GET', '/api/v1/subscriptions', { cookie: session.cookie })).status).toBe(200);
    const write = await call(
      relay,
      'POST',
      '/api/v1/models/res.partner',
      { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'cross-site' },
      { name: 'Evil' },
    );
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('csrf_failed');
  });
});

describe('Idempotency-Key on POST', () => {
  it('replays a create instead of creating twice, and refuses the key with another body', async () => {
    const h = { ...bearer(full), 'idempotency-key': `create-${crypto.randomUUID()}` };
    const first = await call(relay, 'POST', '/api/v1/models/res.partner', h, { name: 'Once Only' });
    expect(first.status).toBe(201);
    const again = await call(relay, 'POST', '/api/v1/models/res.partner', h, { name: 'Once Only' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.body).toEqual(first.body);
    const count = await call(relay, 'GET', `/api/v1/models/res.partner?domain=${encodeURIComponent('[["name","=","Once Only"]]')}`, bearer(full));
    expect(count.body.total).toBe(1);
    const reused = await call(relay, 'POST', '/api/v1/models/res.partner', h, { name: 'Something else' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    // The same key and body on another route is another request, not a replay.
    const elsewhere = await call(relay, 'POST', '/api/v1/models/res.partner.category', h, { name: 'Once Only' });
    expect(elsewhere.body.code).toBe('idempotency_key_reused');
  });

  it('answers a create Odoo made as made when reading it back fails, so a retry with the key does not create it again', async () => {
    const h = { ...bearer(full), 'idempotency-key': `create-${crypto.randomUUID()}` };
    // Every second call fails: the create goes through, the read after it does not.
    sim.faults.setFailureRate(0.5, 'server_error');
    let first;
    try {
      first = await call(relay, 'POST', '/api/v1/models/res.partner?fields=name', h, { name: 'Made Despite The Read' });
    } finally {
      sim.faults.reset();
    }
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ success: true, data: { id: expect.any(Number) }, readBackError: { code: 'odoo_server_error' } });
    expect(first.headers.location).toBe(`/api/v1/models/res.partner/${first.body.data.id}`);
    const again = await call(relay, 'POST', '/api/v1/models/res.partner?fields=name', h, { name: 'Made Despite The Read' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.id).toBe(first.body.data.id);
    const count = await call(relay, 'GET', `/api/v1/models/res.partner?domain=${encodeURIComponent('[["name","=","Made Despite The Read"]]')}`, bearer(full));
    expect(count.body.total).toBe(1);

    sim.faults.setFailureRate(0.5, 'server_error');
    let written;
    try {
      written = await call(relay, 'PATCH', `/api/v1/models/res.partner/${first.body.data.id}`, bearer(full), { name: 'Renamed Despite The Read' });
    } finally {
      sim.faults.reset();
    }
    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ data: { id: first.body.data.id }, readBackError: { code: 'odoo_server_error' } });
    expect((await call(relay, 'GET', `/api/v1/models/res.partner/${first.body.data.id}?fields=name`, bearer(full))).body.data.name).toBe('Renamed Despite The Read');
  });
});
