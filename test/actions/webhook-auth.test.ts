import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
let key: string;

beforeAll(async () => {
  relay = await startTestRelay();
  key = (await relay.createKey()).key;
});
afterAll(() => relay.close());

const hook = (body: unknown, headers?: Record<string, string>) => relay.post('/api/n8n/webhook', body, headers);

describe('webhook authentication', () => {
  it('refuses a request without credentials with 401 unauthenticated', async () => {
    const r = await hook({ action: 'get_config' });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ success: false, code: 'unauthenticated' });
    expect(typeof r.body.error).toBe('string');
    expect(r.body).toHaveProperty('details');
    expect(r.body.requestId).toMatch(/^req_/);
  });

  it('refuses an unknown, malformed or non-bearer key', async () => {
    for (const auth of [`Bearer sk_live_${'x'.repeat(40)}`, 'Bearer nonsense', 'Basic dXNlcjpwYXNz']) {
      const r = await hook({ action: 'get_config' }, { authorization: auth });
      expect(r.status, auth).toBe(401);
      expect(r.body.code).toBe('invalid_api_key');
      // RFC 7235 §3.1: every 401 names the scheme to use.
      expect(String(r.headers['www-authenticate']), auth).toMatch(/^Bearer realm="odoo-relay", error="invalid_(token|request)"$/);
    }
  });

  it('names a key sent the wrong way: Bearer in X-API-Key, two different keys', async () => {
    for (const [headers, message] of [
      [{ 'x-api-key': `Bearer ${key}` }, 'X-API-Key takes the key alone: leave out "Bearer "'],
      [{ authorization: `Bearer ${key}`, 'x-api-key': `sk_live_${'y'.repeat(40)}` }, 'Authorization and X-API-Key carry different keys: send one of them'],
      [{ authorization: `Bearer ${key}`, 'x-api-key': `Bearer ${key}` }, 'X-API-Key takes the key alone: leave out "Bearer "'],
    ] as const) {
      const r = await hook({ action: 'get_config' }, headers);
      expect([r.status, r.body.code, r.body.error], JSON.stringify(headers)).toEqual([401, 'invalid_api_key', message]);
    }
    // The same key in both is no contradiction.
    expect((await hook({ action: 'get_config' }, { authorization: `Bearer ${key}`, 'x-api-key': key })).body.code).toBe('no_odoo_connection');
    // Nor is an empty X-API-Key (a credential left blank) a second key.
    expect((await hook({ action: 'get_config' }, { authorization: `Bearer ${key}`, 'x-api-key': '' })).body.code).toBe('no_odoo_connection');
  });

  it('accepts the key as Bearer and as X-API-Key (then reports the missing Odoo configuration)', async () => {
    const variants: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { authorization: `bearer ${key}` }, { "x-api-key": key }];
    for (const headers of variants) {
      const r = await hook({ action: 'get_config' }, headers);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ success: false, code: 'no_odoo_connection' });
      expect(r.headers['x-ratelimit-limit']).toBe('100');
    }
  });

  it('refuses revoked and expired keys with their own codes', async () => {
    const revoked = await relay.createKey({ name: 'to revoke' });
    await relay.ctx.storage.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', revoked.id).execute();
    const refusedRevoked = await hook({ action: 'get_config' }, { authorization: `Bearer ${revoked.key}` });
    expect(refusedRevoked.body.code).toBe('api_key_revoked');
    expect(refusedRevoked.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="invalid_token"');
    const expired = await relay.createKey({ name: 'expired', expiresAt: Date.now() - 1000 });
    const refusedExpired = await hook({ action: 'get_config' }, { 'x-api-key': expired.key });
    expect(refusedExpired.body.code).toBe('api_key_expired');
    expect(refusedExpired.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="invalid_token"');
  });

  it('records when a key was last used', async () => {
    const fresh = await relay.createKey({ name: 'last used' });
    const before = await relay.ctx.storage.db.selectFrom('api_keys').select('last_used_at').where('id', '=', fresh.id).executeTakeFirstOrThrow();
    expect(before.last_used_at).toBeNull();
    await hook({ action: 'get_config' }, { authorization: `Bearer ${fresh.key}` });
    await new Promise((r) => setTimeout(r, 50));
    const after = await relay.ctx.storage.db.selectFrom('api_keys').select('last_used_at').where('id', '=', fresh.id).executeTakeFirstOrThrow();
    expect(after.last_used_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses a key revoked in this process on its very next use, even when cached', async () => {
    const { key: k, id } = await relay.createKey({ name: 'cached then revoked' });
    expect((await hook({ action: 'get_config' }, { authorization: `Bearer ${k}` })).body.code).toBe('no_odoo_connection');
    const { revokeApiKey } = await import('../../src/auth/api-keys.js');
    await revokeApiKey(relay.ctx.storage.db, id);
    expect((await hook({ action: 'get_config' }, { authorization: `Bearer ${k}` })).body.code).toBe('api_key_revoked');
    // The refusal is attributed to the key in the request log, so its owner can see it.
    await relay.ctx.requestLog.flush();
    const rows = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('api_key_id', '=', id).orderBy('id').execute();
    expect(rows.map((r) => [r.status, r.code])).toEqual([
      [404, 'no_odoo_connection'],
      [401, 'api_key_revoked'],
    ]);
    expect(rows[1]!.key_prefix).toBe(k.slice(0, rows[1]!.key_prefix!.length));
  });

  it('stores only a hash and a short prefix of the key', async () => {
    const rows = await relay.ctx.storage.db.selectFrom('api_keys').selectAll().execute();
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toContain(key);
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.prefix.length).toBeLessThan(16);
    }
  });
});

describe('webhook with a dashboard session cookie', () => {
  let cookie: string;
  beforeAll(async () => {
    const r = await request(`${relay.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: relay.admin.username, password: 'correct horse battery' }),
    });
    expect(r.statusCode).toBe(200);
    const setCookie = r.headers['set-cookie'];
    cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0]!;
    expect(String(setCookie)).toMatch(/HttpOnly/i);
    expect(String(setCookie)).toMatch(/SameSite=Lax/i);
    await r.body.dump();
  });

  it('accepts the pasted cookie without a CSRF token and without rate limit headers', async () => {
    const r = await hook({ action: 'get_config' }, { cookie });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('no_odoo_connection');
    expect(r.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it("refuses a CSRF token that is not the session's: the dashboard's page learns that another tab signed in", async () => {
    const r = await hook({ action: 'get_config' }, { cookie, 'x-csrf-token': 'a-token-of-an-earlier-session' });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('csrf_failed');
  });

  it('refuses cross-site browser requests carrying the cookie', async () => {
    const a = await hook({ action: 'get_config' }, { cookie, origin: 'https://evil.example' });
    expect(a.status).toBe(403);
    expect(a.body.code).toBe('cross_site_request');
    const b = await hook({ action: 'get_config' }, { cookie, 'sec-fetch-site': 'cross-site' });
    expect(b.body.code).toBe('cross_site_request');
  });

  it('refuses a form post (text/plain or urlencoded), which is how CSRF forms arrive', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const r = await hook('action=get_config', { cookie, 'content-type': type });
      expect(r.status, type).toBe(415);
      expect(r.body.code).toBe('unsupported_media_type');
    }
  });

  it('reports an unknown or expired session as session_expired', async () => {
    const r = await hook({ action: 'get_config' }, { cookie: `relay_session=${'A'.repeat(43)}` });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('session_expired');
  });
});

describe('webhook request validation', () => {
  const auth = () => ({ authorization: `Bearer ${key}` });

  it('names the offending field for an unknown or missing action', async () => {
    const unknown = await hook({ action: 'drop_database' }, auth());
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('unknown_action');
    expect(unknown.body.details).toMatchObject({ field: 'action', allowed: ['execute_method', 'chat', 'get_config', 'test_connection'] });
    const missing = await hook({ model: 'res.partner' }, auth());
    expect(missing.status).toBe(400);
    expect(missing.body.details.field).toBe('action');
  });

  it('names wrong-typed execute_method fields', async () => {
    const r = await hook({ action: 'execute_method', model: 'res.partner', method: 'search_read', args: 'not-an-array', kwargs: [] }, auth());
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_request');
    const fields = r.body.details.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['args', 'kwargs']));
  });

  it('says a missing field is required and a wrong-typed one must be a string', async () => {
    const missing = await hook({ action: 'execute_method', method: 'search_read' }, auth());
    expect(missing.status).toBe(400);
    expect(missing.body.details.fields).toEqual([{ field: 'model', problem: 'model is required' }]);
    const wrong = await hook({ action: 'execute_method', model: 'res.partner', method: 42 }, auth());
    expect(wrong.body.details.fields).toEqual([{ field: 'method', problem: 'method must be a string' }]);
    // A string that is too long says so (it said "must be a string").
    const long = await hook({ action: 'execute_method', model: `x${'a'.repeat(128)}`, method: `m${'b'.repeat(128)}` }, auth());
    expect(long.body.details.fields).toEqual([
      { field: 'model', problem: 'model must be at most 128 characters' },
      { field: 'method', problem: 'method must be at most 128 characters' },
    ]);
  });

  it('refuses private methods before reaching Odoo', async () => {
    const r = await hook({ action: 'execute_method', model: 'res.partner', method: '_compute_display_name' }, auth());
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('private_method');
  });

  it('answers chat with chat_not_configured until a provider is set up', async () => {
    const r = await hook({ action: 'chat', message: 'List all customers with outstanding invoices over $1000' }, auth());
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: false, code: 'chat_not_configured' });
  });

  it('answers 413 for a body over the limit and 400 for invalid JSON', async () => {
    const big = await hook({ action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'x'.repeat(1_100_000) }] }, auth());
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('body_too_large');
    const bad = await hook('{"action": "get_config",', auth());
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_json');
  });
});
