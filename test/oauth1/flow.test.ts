import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { formOf, oauthClient, registerApp, type Consumer, type Token } from './client.js';

/**
 * OAuth 1.0a end to end, signed by the oauth-1.0a npm library: the three-legged flow
 * (request token → approve through the dashboard API with a session and CSRF token → access
 * token) and two-legged calls, proven on real resource calls — the webhook against the Odoo
 * test server and GET /api/v1/subscriptions with signed query parameters — and in the request log.
 */
const CALLBACK = 'http://127.0.0.1:9/callback?state=xyz';

const cases = [
  { label: 'HMAC-SHA1 on SQLite', method: 'HMAC-SHA1' as const, postgres: false },
  { label: 'HMAC-SHA256 on SQLite', method: 'HMAC-SHA256' as const, postgres: false },
  { label: 'HMAC-SHA256 on PostgreSQL', method: 'HMAC-SHA256' as const, postgres: true },
];

describe.each(cases)('$label', ({ method, postgres }) => {
  let sim: OdooSim;
  let relay: TestRelay;
  let consumer: Consumer;
  let appId: string;
  let dashboard: DashboardClient;
  let client: ReturnType<typeof oauthClient>;
  let access: Token;

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay(postgres ? { env: { DATABASE_URL: await createTestDatabase() } } : {});
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const registered = await registerApp(relay, { redirectUris: [CALLBACK], scopes: ['webhook', 'subscriptions'] });
    consumer = registered.consumer;
    appId = registered.app.id;
    client = oauthClient(consumer, method);
    dashboard = new DashboardClient(relay.url);
    await dashboard.login(relay.admin.username, 'correct horse battery');
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  const url = (path: string) => relay.url + path;

  it('runs the three-legged flow: request token, approval in the dashboard, access token', async () => {
    const rt = await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: CALLBACK } });
    expect(rt.status, rt.text).toBe(200);
    expect(rt.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(rt.headers['cache-control']).toBe('no-store');
    const requestToken = formOf(rt.text);
    expect(requestToken).toMatchObject({ oauth_callback_confirmed: 'true' });
    expect(requestToken.oauth_token).toMatch(/^o1r_/);
    expect(requestToken.oauth_token_secret!.length).toBeGreaterThanOrEqual(40);

    // The consent page's API: what the user is asked to approve.
    const shown = await dashboard.call('GET', `/api/dashboard/oauth1/authorize?oauth_token=${requestToken.oauth_token}`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body).toMatchObject({ app: { id: appId, name: 'Sync app' }, scopes: ['webhook', 'subscriptions'], callback: 'http://127.0.0.1:9' });

    // Approving without the CSRF token is refused.
    const forged = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: requestToken.oauth_token, approve: true }, { csrf: false });
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf_failed');

    const approved = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: requestToken.oauth_token, approve: true });
    expect(approved.status, approved.text).toBe(200);
    const redirect = new URL(approved.body.redirectUrl);
    expect(`${redirect.origin}${redirect.pathname}`).toBe('http://127.0.0.1:9/callback');
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('oauth_token')).toBe(requestToken.oauth_token);
    const verifier = redirect.searchParams.get('oauth_verifier')!;
    expect(verifier).toMatch(/^[A-Za-z0-9]{24}$/);

    const at = await client.send('POST', url('/oauth1/access_token'), { key: requestToken.oauth_token!, secret: requestToken.oauth_token_secret! }, { oauthParams: { oauth_verifier: verifier } });
    expect(at.status, at.text).toBe(200);
    const accessToken = formOf(at.text);
    expect(accessToken.oauth_token).toMatch(/^o1a_/);
    access = { key: accessToken.oauth_token!, secret: accessToken.oauth_token_secret! };

    // Stored as a hash and a sealed secret, never in plaintext.
    const rows = await relay.ctx.storage.db.selectFrom('oauth1_tokens').selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(access.key);
    expect(dump).not.toContain(access.secret);
    expect(rows.map((r) => r.kind)).toEqual(['access']);
  });

  it('calls the webhook (execute_method against Odoo) with the access token, acting for the approving user', async () => {
    const r = await client.send('POST', url('/api/n8n/webhook'), access, {
      json: { action: 'execute_method', model: 'res.partner', method: 'search_read', args: [[['is_company', '=', true]]], kwargs: { fields: ['name'], limit: 3 } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.result.length).toBeGreaterThan(0);
    expect(r.headers['x-ratelimit-limit']).toBe('100');

    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(r.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth1', app_id: appId, user_id: relay.admin.id, action: 'execute_method', method: 'search_read', status: 200 });
  });

  it('writes through the webhook with the webhook scope (create)', async () => {
    const r = await client.send('POST', url('/api/n8n/webhook'), access, {
      json: { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: `OAuth1 ${method}` }] },
    });
    expect(r.status, r.text).toBe(200);
    expect(typeof r.body.result).toBe('number');
  });

  it('lists subscriptions with signed query parameters', async () => {
    const r = await client.send('GET', url('/api/v1/subscriptions?limit=5&note=caf%C3%A9%20au%20lait&a=1&a=0'), access);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ success: true, subscriptions: [] });
  });

  it('accepts two-legged requests (consumer only), acting for the app owner', async () => {
    const r = await client.send('POST', url('/api/n8n/webhook'), undefined, { json: { action: 'test_connection' } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.result).toMatchObject({ connected: true });
    const list = await client.send('GET', url('/api/v1/subscriptions?limit=1'));
    expect(list.status, list.text).toBe(200);

    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(r.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth1', app_id: appId, user_id: relay.admin.id, action: 'test_connection' });
  });

  it('refuses a replayed request (same nonce and timestamp) stored in the database', async () => {
    const nonce = `replay-${method}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await client.send('GET', url('/api/v1/subscriptions'), access, { nonce, timestamp });
    expect(first.status, first.text).toBe(200);
    const again = await client.send('GET', url('/api/v1/subscriptions'), access, { nonce, timestamp });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('oauth1_nonce_reused');
    expect(again.headers['www-authenticate']).toBe(`OAuth realm="${relay.url}"`);
    const stored = await relay.ctx.storage.db.selectFrom('oauth1_nonces').selectAll().where('nonce', '=', nonce).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.expires_at).toBe((timestamp + 301) * 1000);
  });

  it('lists and revokes the access token from the dashboard; the token then stops working', async () => {
    const list = await dashboard.call('GET', '/api/dashboard/oauth1/tokens');
    expect(list.status).toBe(200);
    expect(list.body.tokens).toHaveLength(1);
    expect(list.body.tokens[0]).toMatchObject({ appId, appName: 'Sync app' });
    expect(list.text).not.toContain(access.key);
    const revoked = await dashboard.call('POST', `/api/dashboard/oauth1/tokens/${list.body.tokens[0].id}/revoke`, {});
    expect(revoked.status, revoked.text).toBe(200);
    const r = await client.send('GET', url('/api/v1/subscriptions'), access);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('oauth1_invalid_token');
    const twice = await dashboard.call('POST', `/api/dashboard/oauth1/tokens/${list.body.tokens[0].id}/revoke`, {});
    expect(twice.status).toBe(404);
  });

  it('shows the app under "Apps you have authorized" and Revoke access ends its OAuth 1.0a tokens', async () => {
    // A fresh access token, by the same three legs as above.
    const rt = formOf((await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: CALLBACK } })).text);
    const approved = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: rt.oauth_token, approve: true });
    const verifier = new URL(approved.body.redirectUrl).searchParams.get('oauth_verifier')!;
    const at = formOf((await client.send('POST', url('/oauth1/access_token'), { key: rt.oauth_token!, secret: rt.oauth_token_secret! }, { oauthParams: { oauth_verifier: verifier } })).text);
    const token = { key: at.oauth_token!, secret: at.oauth_token_secret! };
    expect((await client.send('GET', url('/api/v1/subscriptions'), token)).status).toBe(200);

    const listed = await dashboard.call('GET', '/api/dashboard/authorized-apps');
    expect(listed.body.authorizedApps).toEqual([
      expect.objectContaining({ appId, name: 'Sync app', protocols: ['oauth1'], scopes: ['webhook', 'subscriptions'] }),
    ]);
    expect((await dashboard.call('POST', `/api/dashboard/authorized-apps/${appId}/revoke`, {})).status).toBe(200);
    const refused = await client.send('GET', url('/api/v1/subscriptions'), token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('oauth1_invalid_token');
    expect((await dashboard.call('GET', '/api/dashboard/authorized-apps')).body.authorizedApps).toEqual([]);
    expect((await dashboard.call('POST', `/api/dashboard/authorized-apps/${appId}/revoke`, {})).status).toBe(404);
  });
});
