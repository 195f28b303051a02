import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
let key: string;
let secret: string;

beforeAll(async () => {
  relay = await startTestRelay();
  const created = await relay.createKey({ hmac: true });
  key = created.key;
  secret = created.hmacSecret!;
});
afterAll(() => relay.close());

// Without an Odoo connection a request that passes every check ends at 404 no_odoo_connection:
// that status proves the signature was accepted.
const PASSED = 'no_odoo_connection';

const webhookBody = JSON.stringify({ action: 'get_config' });
/** Headers of a webhook call signed with a timestamp `offsetSeconds` from now (negative: in the past). */
function signedAt(apiKey: string, hmacSecret: string, offsetSeconds: number): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000) + offsetSeconds);
  const signature = crypto.createHmac('sha256', hmacSecret).update(`${ts}.${webhookBody}`).digest('hex');
  return { authorization: `Bearer ${apiKey}`, 'x-hmac-signature': signature, 'x-hmac-timestamp': ts };
}

describe('HMAC-signed webhook calls', () => {
  it("accepts the seed's Node.js signing code", async () => {
    const requestBody = { action: 'get_config' };
    const bodyString = JSON.stringify(requestBody);
    const signature = crypto.createHmac('sha256', secret).update(bodyString).digest('hex');
    const r = await relay.post('/api/n8n/webhook', bodyString, { authorization: `Bearer ${key}`, 'x-hmac-signature': signature });
    expect(r.body.code).toBe(PASSED);
  });

  it('keeps the body-only signature however the URL reaches the webhook (a query, a trailing slash)', async () => {
    const bodyString = JSON.stringify({ action: 'get_config' });
    const signature = crypto.createHmac('sha256', secret).update(bodyString).digest('hex');
    for (const path of ['/api/n8n/webhook?source=n8n', '/api/n8n/webhook/', '/api/n8n/%77ebhook']) {
      const r = await relay.post(path, bodyString, { authorization: `Bearer ${key}`, 'x-hmac-signature': signature });
      expect(r.body.code, path).toBe(PASSED);
    }
  });

  it('refuses a missing or wrong signature with 401 invalid_signature', async () => {
    const body = JSON.stringify({ action: 'get_config' });
    const missing = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}` });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'invalid_signature', details: { reason: 'missing_signature' } });
    const wrong = crypto.createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    const bad = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'x-hmac-signature': wrong });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('invalid_signature');
    expect(bad.text).not.toContain(secret);
  });

  it('refuses a body changed after signing', async () => {
    const signed = JSON.stringify({ action: 'get_config' });
    const sig = crypto.createHmac('sha256', secret).update(signed).digest('hex');
    const r = await relay.post('/api/n8n/webhook', JSON.stringify({ action: 'test_connection' }), {
      authorization: `Bearer ${key}`,
      'x-hmac-signature': sig,
    });
    expect(r.body.code).toBe('invalid_signature');
  });

  it('checks the signature before parsing: an unsigned broken body is refused 401 and gives its request back', async () => {
    const { key: own, hmacSecret: ownSecret } = await relay.createKey({ hmac: true, rateLimit: 5 });
    const broken = ['{"action": "get_config"', '{"__proto__": {"admin": true}, "action": "get_config"}', '['.repeat(200) + ']'.repeat(200)];
    for (const body of broken) {
      const r = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${own}`, 'x-hmac-signature': 'ab'.repeat(32) });
      expect(r.status, body.slice(0, 30)).toBe(401);
      expect(r.body).toMatchObject({ code: 'invalid_signature', details: { reason: 'mismatch' } });
    }
    // None of them spent the workflow's budget: the first signed call of the minute leaves four of five.
    const body = JSON.stringify({ action: 'get_config' });
    const signature = crypto.createHmac('sha256', ownSecret!).update(body).digest('hex');
    const signed = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${own}`, 'x-hmac-signature': signature });
    expect(signed.body.code).toBe(PASSED);
    expect(signed.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('answers a signed but broken body 400 invalid_json, and checks a bodiless request too', async () => {
    const body = '{"action": "get_config"';
    const signature = crypto.createHmac('sha256', secret).update(body).digest('hex');
    const r = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'x-hmac-signature': signature });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_json');
    const empty = await relay.post('/api/n8n/webhook', '', { authorization: `Bearer ${key}` });
    expect(empty.status).toBe(401);
    expect(empty.body.details.reason).toBe('missing_signature');
    const emptySigned = crypto.createHmac('sha256', secret).update('').digest('hex');
    const signedEmpty = await relay.post('/api/n8n/webhook', '', { authorization: `Bearer ${key}`, 'x-hmac-signature': emptySigned });
    expect(signedEmpty.status).toBe(400);
    expect(signedEmpty.body.code).toBe('invalid_request');
  });

  it('timestamped signatures are accepted once and refused when replayed', async () => {
    const body = JSON.stringify({ action: 'get_config' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = crypto.createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    const headers = { authorization: `Bearer ${key}`, 'x-hmac-signature': sig, 'x-hmac-timestamp': ts };
    expect((await relay.post('/api/n8n/webhook', body, headers)).body.code).toBe(PASSED);
    const replay = await relay.post('/api/n8n/webhook', body, headers);
    expect(replay.status).toBe(401);
    expect(replay.body.details.reason).toBe('replayed');
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = crypto.createHmac('sha256', secret).update(`${old}.${body}`).digest('hex');
    const r = await relay.post('/api/n8n/webhook', body, { ...headers, 'x-hmac-signature': stale, 'x-hmac-timestamp': old });
    expect(r.body.details.reason).toBe('stale_timestamp');
  });

  it('refuses a timestamp more than the tolerance (300 s) ahead of the clock as it does one behind, and accepts a minute of skew', async () => {
    // A signature dated in the future would stay good until that time comes, outliving the
    // nonce kept to refuse its replay (twice the tolerance).
    const ahead = await relay.post('/api/n8n/webhook', webhookBody, signedAt(key, secret, 600));
    expect(ahead.status).toBe(401);
    expect(ahead.body).toMatchObject({ code: 'invalid_signature', details: { reason: 'stale_timestamp' } });
    expect((await relay.post('/api/n8n/webhook', webhookBody, signedAt(key, secret, 60))).body.code).toBe(PASSED);
    expect((await relay.post('/api/n8n/webhook', webhookBody, signedAt(key, secret, -60))).body.code).toBe(PASSED);
  });

  it('takes the tolerance from HMAC_TOLERANCE_SECONDS: at 30, a timestamp 60 s old that the default accepts is refused', async () => {
    const strict = await startTestRelay({ env: { HMAC_TOLERANCE_SECONDS: '30' } });
    try {
      const own = await strict.createKey({ hmac: true });
      const old = await strict.post('/api/n8n/webhook', webhookBody, signedAt(own.key, own.hmacSecret!, -60));
      expect(old.status).toBe(401);
      expect(old.body.details.reason).toBe('stale_timestamp');
      expect((await strict.post('/api/n8n/webhook', webhookBody, signedAt(own.key, own.hmacSecret!, -10))).body.code).toBe(PASSED);
      // A key of its own: the same timestamp as another test's under the shared key would be a replay.
      const lenient = await relay.createKey({ hmac: true });
      expect((await relay.post('/api/n8n/webhook', webhookBody, signedAt(lenient.key, lenient.hmacSecret!, -60))).body.code).toBe(PASSED);
    } finally {
      await strict.close();
    }
  });

  it('keeps the HMAC secret encrypted at rest', async () => {
    const rows = await relay.ctx.storage.db.selectFrom('api_keys').select('hmac_secret_enc').execute();
    expect(rows.some((r) => r.hmac_secret_enc?.startsWith('v1.'))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
