import { afterAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { createApiKey, updateApiKey } from '../../src/auth/api-keys.js';
import { computeHmacHex } from '../../src/auth/hmac.js';

const relays: TestRelay[] = [];
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
});

const getConfig = (relay: TestRelay, key: string) =>
  relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${key}` });

describe('per-key rate limit', () => {
  it('counts down X-RateLimit-Remaining and answers 429 with the seed body and Retry-After', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const { key } = await relay.createKey({ rateLimit: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await getConfig(relay, key);
      expect(r.status).toBe(404); // passed the limiter; no Odoo configured
      remaining.push(String(r.headers['x-ratelimit-remaining']));
      expect(r.headers['x-ratelimit-limit']).toBe('3');
      expect(new Date(String(r.headers['x-ratelimit-reset'])).toISOString()).toBe(r.headers['x-ratelimit-reset']);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await getConfig(relay, key);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, error: 'Rate limit exceeded', limit: 3, code: 'rate_limited' });
    expect(new Date(limited.body.resetAt).getTime()).toBeGreaterThan(Date.now());
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('keeps separate budgets per key', async () => {
    const relay = relays[0]!;
    const other = await relay.createKey({ rateLimit: 1 });
    expect((await getConfig(relay, other.key)).status).toBe(404);
    expect((await getConfig(relay, other.key)).status).toBe(429);
  });

  it('holds across two relay instances sharing one PostgreSQL database', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await startTestRelay({ databaseUrl });
    const b = await startTestRelay({ databaseUrl });
    relays.push(a, b);
    const created = await createApiKey(a.ctx.storage.db, a.ctx.box, { userId: a.admin.id, name: 'shared', rateLimit: 5 }, 100);
    const statuses: number[] = [];
    // Alternate instances, and fire some concurrently: the shared counter must still stop at 5.
    for (let i = 0; i < 4; i++) statuses.push((await getConfig(i % 2 ? a : b, created.key)).status);
    const burst = await Promise.all([getConfig(a, created.key), getConfig(b, created.key), getConfig(a, created.key), getConfig(b, created.key)]);
    statuses.push(...burst.map((r) => r.status));
    expect(statuses.filter((s) => s !== 429)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });

  it.each(['sqlite', 'postgres'] as const)('starts a fresh window when a key gets a new limit, also one it had earlier in the minute (%s)', async (database) => {
    const relay = await startTestRelay(database === 'postgres' ? { databaseUrl: await createTestDatabase() } : {});
    relays.push(relay);
    const { id, key } = await relay.createKey({ rateLimit: 2 });
    const spend = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await getConfig(relay, key);
        out.push(`${r.status}/${r.headers['x-ratelimit-limit']}/${r.headers['x-ratelimit-remaining']}`);
      }
      return out;
    };
    const setLimit = (rateLimit: number) => updateApiKey(relay.ctx.storage.db, id, undefined, { rateLimit });
    expect(await spend(3)).toEqual(['404/2/1', '404/2/0', '429/2/0']);
    await setLimit(3);
    expect(await spend(1)).toEqual(['404/3/2']);
    // Back to 2 in the same minute: a fresh window, not the spent count of the first one.
    await setLimit(2);
    expect(await spend(3)).toEqual(['404/2/1', '404/2/0', '429/2/0']);
  });

  it.each(['sqlite', 'postgres'] as const)(
    'does not let requests that fail the HMAC check spend the budget of the workflow that signs (%s)',
    async (database) => {
      const relay = await startTestRelay(database === 'postgres' ? { databaseUrl: await createTestDatabase() } : {});
      relays.push(relay);
      const { key, hmacSecret } = await relay.createKey({ rateLimit: 5, hmac: true });
      const body = JSON.stringify({ action: 'get_config' });
      const signed = () => relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-hmac-signature': computeHmacHex(hmacSecret!, body) });
      const unsigned = () => relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'content-type': 'application/json' });
      // Someone with the key but not the secret: refused, and their requests given back.
      for (let i = 0; i < 5; i++) expect((await unsigned()).body.code).toBe('invalid_signature');
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await signed()).status);
      expect(statuses).toEqual([404, 404, 404, 404, 404]); // all through the limiter (no Odoo configured)
      // Failed signatures have a budget of their own, as large as the key's.
      const flooded = await unsigned();
      expect(flooded.status).toBe(429);
      expect(flooded.body).toMatchObject({ code: 'rate_limited', limit: 5 });
      // The signing workflow's own budget is spent by its own five calls only.
      expect((await signed()).status).toBe(429);
    },
  );

  it.each(['sqlite', 'postgres'] as const)(
    'charges requests refused before the HMAC check (media type, size) to the failed-signature budget, not the workflow\'s (%s)',
    async (database) => {
      const relay = await startTestRelay({ bodyLimitBytes: 1024, ...(database === 'postgres' ? { databaseUrl: await createTestDatabase() } : {}) });
      relays.push(relay);
      const { key, hmacSecret } = await relay.createKey({ rateLimit: 4, hmac: true });
      const body = JSON.stringify({ action: 'get_config' });
      const auth = { authorization: `Bearer ${key}` };
      const signed = () => relay.post('/api/n8n/webhook', body, { ...auth, 'content-type': 'application/json', 'x-hmac-signature': computeHmacHex(hmacSecret!, body) });
      // n8n's "Raw" body with the wrong type, and a body over the limit: neither reaches the signature check.
      const asText = await relay.post('/api/n8n/webhook', body, { ...auth, 'content-type': 'text/plain' });
      expect(asText.status).toBe(415);
      expect(asText.body.code).toBe('unsupported_media_type');
      const huge = await relay.post('/api/n8n/webhook', JSON.stringify({ action: 'get_config', pad: 'x'.repeat(2048) }), { ...auth, 'content-type': 'application/json' });
      expect(huge.status).toBe(413);
      expect(huge.body.code).toBe('body_too_large');
      // Counted as failed checks: two more fill that budget of four, and the next is refused 429.
      for (let i = 0; i < 2; i++) expect((await relay.post('/api/n8n/webhook', body, { ...auth, 'content-type': 'text/plain' })).status).toBe(415);
      const flooded = await relay.post('/api/n8n/webhook', body, { ...auth, 'content-type': 'text/plain' });
      expect(flooded.status).toBe(429);
      expect(flooded.body).toMatchObject({ code: 'rate_limited', limit: 4 });
      // None of the five took anything from the signing workflow's four.
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await signed()).status);
      expect(statuses).toEqual([404, 404, 404, 404, 429]); // 404: through the limiter (no Odoo configured)
    },
  );

  it('answers a 429 of the failed-signature budget with that budget\'s headers', async () => {
    const relay = relays[0]!;
    const { key } = await relay.createKey({ rateLimit: 2, hmac: true });
    const badlySigned = () =>
      relay.post('/api/n8n/webhook', JSON.stringify({ action: 'get_config' }), { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-hmac-signature': '0'.repeat(64) });
    for (let i = 0; i < 2; i++) expect((await badlySigned()).body.code).toBe('invalid_signature');
    const limited = await badlySigned();
    expect(limited.status).toBe(429);
    // The key's own budget still has requests left; the 429 speaks for the budget that refused it, as the seed's 429 does.
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.headers['x-ratelimit-limit']).toBe('2');
    expect(limited.headers['x-ratelimit-reset']).toBe(limited.body.resetAt);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
