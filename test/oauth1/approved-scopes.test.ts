import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay, type HttpAnswer } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { createUser } from '../../src/auth/users.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { sha256Hex } from '../../src/ids/random.js';
import { formOf, oauthClient, type Consumer, type Token } from './client.js';

/**
 * An OAuth 1.0a access token acts with the scopes its user approved, never more: alice owns an
 * app, bob approves it, then alice widens the app. Bob's token keeps what bob saw on the consent
 * page (narrowed further when the app loses scopes), and his "Apps you have authorized" shows it.
 */
const CALLBACK = 'https://client.example.com/oauth/callback';

describe('OAuth 1.0a tokens keep the scopes the user approved', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let alice: DashboardClient;
  let bob: DashboardClient;
  let appId: string;
  let client: ReturnType<typeof oauthClient>;

  const url = (path: string) => relay.url + path;
  const create = (token: Token) =>
    client.send('POST', url('/api/n8n/webhook'), token, { json: { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'From bob’s token' }] } });
  const count = (token: Token) => client.send('POST', url('/api/n8n/webhook'), token, { json: { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] } });
  const subscriptions = (token: Token) => client.send('GET', url('/api/v1/subscriptions'), token);
  const setScopes = async (scopes: string[]) => {
    const r = await alice.call('PATCH', `/api/dashboard/apps/${appId}`, { scopes });
    expect(r.status, r.text).toBe(200);
  };
  const expectForbidden = (r: HttpAnswer) => {
    expect(r.status, r.text).toBe(403);
    expect(r.body.code).toBe('forbidden_scope');
  };

  /** A request token (issued now, with the app's scopes now). */
  async function requestToken(): Promise<Token> {
    const rt = await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: CALLBACK } });
    expect(rt.status, rt.text).toBe(200);
    const f = formOf(rt.text);
    return { key: f.oauth_token!, secret: f.oauth_token_secret! };
  }

  /** Bob looks at the consent page, expects `shown`, approves, and the app exchanges the request token. */
  async function bobApproves(request: Token, shown: string[]): Promise<Token> {
    const page = await bob.call('GET', `/api/dashboard/oauth1/authorize?oauth_token=${request.key}`);
    expect(page.status, page.text).toBe(200);
    expect(page.body.scopes).toEqual(shown);
    const ok = await bob.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: request.key, approve: true });
    expect(ok.status, ok.text).toBe(200);
    const verifier = new URL(ok.body.redirectUrl).searchParams.get('oauth_verifier')!;
    const at = await client.send('POST', url('/oauth1/access_token'), request, { oauthParams: { oauth_verifier: verifier } });
    expect(at.status, at.text).toBe(200);
    const f = formOf(at.text);
    return { key: f.oauth_token!, secret: f.oauth_token_secret! };
  }

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    alice = new DashboardClient(relay.url);
    await alice.login(relay.admin.username, 'correct horse battery');
    const bobUser = await createUser(relay.ctx.storage.db, { username: 'bob', password: 'bob’s long password', role: 'user' });
    await saveDefaultConnection(relay.ctx.storage.db, relay.ctx.box, bobUser.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    bob = new DashboardClient(relay.url);
    await bob.login('bob', 'bob’s long password');
    const created = await alice.call('POST', '/api/dashboard/apps', { name: 'Alice’s app', redirectUris: [CALLBACK], scopes: ['read'] });
    expect(created.status, created.text).toBe(200);
    appId = created.body.app.id;
    client = oauthClient({ key: created.body.secrets.consumerKey, secret: created.body.secrets.consumerSecret } satisfies Consumer, 'HMAC-SHA256');
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  it('widening the app after bob approved gives his token nothing more', async () => {
    const token = await bobApproves(await requestToken(), ['read']);
    expectForbidden(await create(token));

    await setScopes(['read', 'webhook', 'subscriptions']);
    expectForbidden(await create(token));
    expectForbidden(await subscriptions(token));
    expect((await count(token)).status).toBe(200);

    const listed = await bob.call('GET', '/api/dashboard/authorized-apps');
    expect(listed.body.authorizedApps).toEqual([expect.objectContaining({ appId, protocols: ['oauth1'], scopes: ['read'] })]);
    const tokens = await bob.call('GET', '/api/dashboard/oauth1/tokens');
    expect(tokens.body.tokens).toEqual([expect.objectContaining({ appId, scopes: ['read'] })]);

    // Narrowing the app does narrow the token: it acts with approved ∩ the app's scopes.
    await setScopes(['webhook', 'subscriptions']);
    expectForbidden(await count(token));
    await setScopes(['read', 'webhook', 'subscriptions']);
    expect((await count(token)).status).toBe(200);
  });

  it('a request token issued before a widening asks for, and grants, only the scopes of its issue', async () => {
    await setScopes(['read']);
    const request = await requestToken();
    await setScopes(['read', 'webhook']);
    const token = await bobApproves(request, ['read']);
    expectForbidden(await create(token));
    // A request token whose app lost a scope meanwhile asks for less, not for the old set.
    await setScopes(['read', 'webhook', 'subscriptions']);
    const wide = await requestToken();
    await setScopes(['read', 'subscriptions']);
    const narrowed = await bobApproves(wide, ['read', 'subscriptions']);
    expect((await subscriptions(narrowed)).status).toBe(200);
    await setScopes(['read', 'webhook', 'subscriptions']);
    expectForbidden(await create(narrowed));
  });

  it('a new approval of the widened app grants the new scopes; the list shows what bob approved across tokens', async () => {
    const token = await bobApproves(await requestToken(), ['read', 'webhook', 'subscriptions']);
    const created = await create(token);
    expect(created.status, created.text).toBe(200);
    expect(typeof created.body.result).toBe('number');
    expect((await subscriptions(token)).status).toBe(200);
    const listed = await bob.call('GET', '/api/dashboard/authorized-apps');
    expect(listed.body.authorizedApps).toHaveLength(1);
    expect([...listed.body.authorizedApps[0].scopes].sort()).toEqual(['read', 'subscriptions', 'webhook']);
  });

  it('a token whose approved scopes are unknown (older than their record) is refused until approved again', async () => {
    await bob.call('POST', `/api/dashboard/authorized-apps/${appId}/revoke`, {});
    const token = await bobApproves(await requestToken(), ['read', 'webhook', 'subscriptions']);
    await relay.ctx.storage.db.updateTable('oauth1_tokens').set({ scopes: null }).where('token_hash', '=', sha256Hex(token.key)).execute();
    const r = await count(token);
    expect(r.status, r.text).toBe(401);
    expect(r.body.code).toBe('oauth1_invalid_token');
    expect(r.body.error).toMatch(/approve the app again/);
    const listed = await bob.call('GET', '/api/dashboard/authorized-apps');
    expect(listed.body.authorizedApps).toEqual([expect.objectContaining({ appId, scopes: [] })]);
    // Two-legged calls act for the app's owner with the app's scopes, as before.
    const owner = await client.send('POST', url('/api/n8n/webhook'), undefined, { json: { action: 'test_connection' } });
    expect(owner.status, owner.text).toBe(200);
  });
});
