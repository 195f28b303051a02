import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import * as oauth from 'oauth4webapi';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import type { DashboardClient } from '../dashboard/helpers.js';
import { sha256Hex } from '../../src/ids/random.js';
import { codeFlow, discover, INSECURE, pkce, postForm, raw, registerApp, signIn, basic, type RegisteredApp } from './helpers.js';

/**
 * The relay as an OAuth 2.0 authorization server, with oauth4webapi as the client: discovery,
 * code + PKCE (the browser's consent step through the dashboard API; the Chromium test drives
 * the real page), refresh rotation, client credentials, revocation and introspection, and the
 * tokens used on real resource calls against the Odoo test server.
 */
describe('OAuth 2.0 flows', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let as: oauth.AuthorizationServer;
  let dashboard: DashboardClient;
  let confidential: RegisteredApp;

  const webhook = (token: string, body: unknown) => relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${token}` });
  const searchRead = { action: 'execute_method', model: 'res.partner', method: 'search_read', args: [[['is_company', '=', true]]], kwargs: { fields: ['name'], limit: 3 } };

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay({ env: { EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    as = await discover(relay);
    dashboard = await signIn(relay);
    confidential = await registerApp(relay);
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  it('publishes RFC 8414 metadata that oauth4webapi accepts (issuer = the request origin)', async () => {
    expect(as.issuer).toBe(relay.url);
    expect(as).toMatchObject({
      authorization_endpoint: `${relay.url}/oauth/authorize`,
      token_endpoint: `${relay.url}/oauth/token`,
      revocation_endpoint: `${relay.url}/oauth/revoke`,
      introspection_endpoint: `${relay.url}/oauth/introspect`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      scopes_supported: ['webhook', 'read', 'subscriptions'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(as.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
  });

  it('code + PKCE issues prefixed opaque tokens, stored only as hashes', async () => {
    const tokens = await codeFlow(relay, as, dashboard, confidential);
    expect(tokens.access_token).toMatch(/^oat_[0-9A-Za-z]{40}$/);
    expect(tokens.refresh_token).toMatch(/^ort_[0-9A-Za-z]{48}$/);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('webhook read subscriptions');
    const rows = await relay.ctx.storage.db.selectFrom('oauth2_tokens').selectAll().where('app_id', '=', confidential.id).execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(tokens.access_token);
    expect(dump).not.toContain(tokens.refresh_token);
    expect(rows.map((r) => r.token_hash)).toContain(sha256Hex(tokens.access_token));
  });

  it('the access token calls the webhook against Odoo, logged as oauth2 with the app id', async () => {
    const tokens = await codeFlow(relay, as, dashboard, confidential);
    const r = await webhook(tokens.access_token, searchRead);
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.result.length).toBeGreaterThan(0);
    expect(r.headers['x-ratelimit-limit']).toBe('100');
    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(r.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth2', app_id: confidential.id, user_id: relay.admin.id, status: 200, method: 'search_read' });
    // The dashboard's request log names the app (the row keeps only its id).
    const logged = await dashboard.call('GET', '/api/dashboard/request-log?limit=50');
    const shown = logged.body.rows.find((r: { requestId: string }) => r.requestId === row.request_id);
    expect(shown).toMatchObject({ authMethod: 'oauth2', appId: confidential.id, appName: 'Test app', keyPrefix: null });
  });

  it('the access token lists subscriptions; a token without the scope is refused with forbidden_scope', async () => {
    const full = await codeFlow(relay, as, dashboard, confidential);
    const listed = await raw(`${relay.url}/api/v1/subscriptions`, { headers: { authorization: `Bearer ${full.access_token}` } });
    expect(listed.status).toBe(200);
    expect(listed.body.success).toBe(true);

    const readOnly = await codeFlow(relay, as, dashboard, confidential, 'read');
    expect(readOnly.scope).toBe('read');
    const subs = await raw(`${relay.url}/api/v1/subscriptions`, { headers: { authorization: `Bearer ${readOnly.access_token}` } });
    expect(subs.status).toBe(403);
    expect(subs.body.code).toBe('forbidden_scope');
    // RFC 6750 §3.1: the challenge names the missing scope.
    expect(subs.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="insufficient_scope", scope="subscriptions"');
    const write = await webhook(readOnly.access_token, { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'Nope' }] });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('forbidden_scope');
    expect(write.body.error).toContain('OAuth 2.0 token');
    expect(write.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="insufficient_scope", scope="webhook"');
    expect((await webhook(readOnly.access_token, searchRead)).status).toBe(200);

    // A token that may only manage subscriptions, reading: the challenge asks for `read`, the narrowest scope that would do.
    const subsOnly = await codeFlow(relay, as, dashboard, confidential, 'subscriptions');
    const read = await webhook(subsOnly.access_token, searchRead);
    expect(read.status).toBe(403);
    expect(read.body.details.required).toBe('read');
    expect(read.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="insufficient_scope", scope="read"');
  });

  it("the app's allow-lists bound its tokens", async () => {
    const limited = await registerApp(relay, { name: 'Limited', allowedModels: ['sale.*'] });
    const tokens = await codeFlow(relay, as, dashboard, limited);
    const r = await webhook(tokens.access_token, searchRead);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('model_not_allowed');
  });

  it('refresh rotates: a new refresh token each time, the old one refused; reuse revokes the whole family', async () => {
    const first = await codeFlow(relay, as, dashboard, confidential);
    const auth = oauth.ClientSecretBasic(confidential.clientSecret!);
    const second = await oauth.processRefreshTokenResponse(
      as,
      confidential.client,
      await oauth.refreshTokenGrantRequest(as, confidential.client, auth, first.refresh_token!, INSECURE),
    );
    expect(second.refresh_token).toMatch(/^ort_/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe('webhook read subscriptions');
    expect((await webhook(second.access_token, searchRead)).status).toBe(200);

    // The first refresh token again: a stolen copy is in use, so every token of the authorization dies.
    const reused = await postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basic(confidential.client.client_id, confidential.clientSecret!) });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect(reused.body.error_description).toMatch(/already used/);
    for (const token of [first.access_token, second.access_token]) {
      const r = await webhook(token, searchRead);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('invalid_token');
    }
    const third = await postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: second.refresh_token! }, { authorization: basic(confidential.client.client_id, confidential.clientSecret!) });
    expect(third.status).toBe(400);
    expect(third.body.error).toBe('invalid_grant');
  });

  it('refresh may narrow the access token, never widen it; the refresh token keeps the original grant', async () => {
    const read = await codeFlow(relay, as, dashboard, confidential, 'read webhook');
    const form = { grant_type: 'refresh_token', client_id: confidential.client.client_id, client_secret: confidential.clientSecret! };
    const narrowed = await postForm(`${relay.url}/oauth/token`, { ...form, refresh_token: read.refresh_token!, scope: 'read' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    const widened = await postForm(`${relay.url}/oauth/token`, { ...form, refresh_token: narrowed.body.refresh_token, scope: 'read subscriptions' });
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe('invalid_scope');
  });

  it('refresh and introspection report the scopes a token can use once the owner narrows the app', async () => {
    const app = await registerApp(relay, { name: 'Narrowed later', scopes: ['webhook', 'read'] });
    const auth = { authorization: basic(app.client.client_id, app.clientSecret!) };
    const refresh = (form: Record<string, string>) => postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', ...form }, auth);
    const introspect = (token: string) => postForm(`${relay.url}/oauth/introspect`, { token }, auth);
    const setScopes = async (scopes: string[]) => expect((await dashboard.call('PATCH', `/api/dashboard/apps/${app.id}`, { scopes })).status).toBe(200);
    const both = await codeFlow(relay, as, dashboard, app, 'webhook read');
    const webhookOnly = await codeFlow(relay, as, dashboard, app, 'webhook');

    await setScopes(['read']);
    expect((await introspect(both.access_token)).body).toMatchObject({ active: true, scope: 'read' });
    expect((await introspect(both.refresh_token!)).body).toMatchObject({ active: true, scope: 'read' });
    expect((await introspect(webhookOnly.access_token)).body).toMatchObject({ active: true, scope: '' });
    const write = await webhook(webhookOnly.access_token, { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'Nope' }] });
    expect(write.body.code).toBe('forbidden_scope');

    // Asking for a scope the app no longer has is invalid_scope, and spends nothing.
    const beyond = await refresh({ refresh_token: both.refresh_token!, scope: 'webhook' });
    expect(beyond.status).toBe(400);
    expect(beyond.body.error).toBe('invalid_scope');
    const narrowed = await refresh({ refresh_token: both.refresh_token! });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    expect((await introspect(narrowed.body.access_token)).body).toMatchObject({ active: true, scope: 'read' });
    const nothing = await refresh({ refresh_token: webhookOnly.refresh_token! });
    expect(nothing.status, nothing.text).toBe(200);
    expect(nothing.body.scope).toBe('');

    // The refresh token kept the grant: once the app has webhook again, the next refresh has it too.
    await setScopes(['webhook', 'read']);
    const restored = await refresh({ refresh_token: narrowed.body.refresh_token });
    expect(restored.body.scope).toBe('webhook read');
    expect((await introspect(restored.body.refresh_token)).body).toMatchObject({ active: true, scope: 'webhook read' });
  });

  it('a loopback IP redirect URI matches on any port (RFC 8252 §7.3); the code is bound to the URI used', async () => {
    const native = await registerApp(relay, { name: 'Desktop app', clientType: 'public', redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/cb', 'http://localhost/cb'] });
    /** /oauth/authorize with this redirect_uri: the redirect back after consent, or null when refused with the error page. */
    const authorize = async (redirectUri: string) => {
      const { verifier, challenge } = await pkce();
      const params = { response_type: 'code', client_id: native.client.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's' };
      const started = await raw(`${relay.url}/oauth/authorize?${new URLSearchParams(params)}`);
      if (started.status === 400) {
        expect(started.headers.location).toBeUndefined();
        return null;
      }
      expect(started.status, started.text).toBe(302);
      const id = new URL(String(started.headers.location), relay.url).searchParams.get('request')!;
      const decided = await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true });
      return { back: new URL(decided.body.redirectTo), verifier };
    };
    const exchange = (code: string, verifier: string, redirectUri: string) =>
      postForm(`${relay.url}/oauth/token`, { grant_type: 'authorization_code', client_id: native.client.client_id, code, code_verifier: verifier, redirect_uri: redirectUri });

    const a = (await authorize('http://127.0.0.1:53124/callback'))!;
    expect(`${a.back.origin}${a.back.pathname}`).toBe('http://127.0.0.1:53124/callback');
    const tokens = await exchange(a.back.searchParams.get('code')!, a.verifier, 'http://127.0.0.1:53124/callback');
    expect(tokens.status, tokens.text).toBe(200);
    expect((await webhook(tokens.body.access_token, searchRead)).status).toBe(200);

    // At the token endpoint, only the URI used at authorize: not the registered form, not another port.
    for (const other of ['http://127.0.0.1/callback', 'http://127.0.0.1:53125/callback']) {
      const b = (await authorize('http://127.0.0.1:53124/callback'))!;
      const refused = await exchange(b.back.searchParams.get('code')!, b.verifier, other);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
    }

    const v6 = (await authorize('http://[::1]:8080/cb'))!;
    expect(v6.back.host).toBe('[::1]:8080');
    expect((await authorize('http://127.0.0.1/callback'))!.back.host).toBe('127.0.0.1');
    // Everything but a loopback IP literal's port is still compared exactly.
    for (const refused of [
      'http://localhost:8080/cb',
      'http://127.0.0.1:53124/callback/',
      'http://127.0.0.1:53124/callback?x=1',
      'http://127.0.0.1:53124/cb',
      'http://127.0.0.1:0/callback',
      'http://127.0.0.1:99999/callback',
      'https://127.0.0.1:53124/callback',
      'http://127.0.0.1:53124@evil.example/callback',
      'http://127.0.0.2:53124/callback',
    ]) {
      expect(await authorize(refused), refused).toBeNull();
    }
  });

  it('client credentials (client_secret_post) act for the owner, without a refresh token', async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, confidential.client, oauth.ClientSecretPost(confidential.clientSecret!), { scope: 'read' }, INSECURE);
    const tokens = await oauth.processClientCredentialsResponse(as, confidential.client, response);
    expect(tokens.access_token).toMatch(/^oat_/);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('read');
    const r = await webhook(tokens.access_token, searchRead);
    expect(r.status).toBe(200);
    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(r.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth2', app_id: confidential.id, user_id: relay.admin.id });
  });

  it('introspection reports own tokens active, others and revoked ones inactive', async () => {
    const tokens = await codeFlow(relay, as, dashboard, confidential, 'read');
    const auth = oauth.ClientSecretBasic(confidential.clientSecret!);
    const info = await oauth.processIntrospectionResponse(as, confidential.client, await oauth.introspectionRequest(as, confidential.client, auth, tokens.access_token, INSECURE));
    expect(info).toMatchObject({ active: true, scope: 'read', client_id: confidential.client.client_id, token_type: 'Bearer', sub: relay.admin.id, iss: relay.url });
    expect(info.exp! - info.iat!).toBe(3600);
    const refreshInfo = await oauth.processIntrospectionResponse(as, confidential.client, await oauth.introspectionRequest(as, confidential.client, auth, tokens.refresh_token!, INSECURE));
    expect(refreshInfo).toMatchObject({ active: true, token_type: 'refresh_token' });

    const other = await registerApp(relay, { name: 'Other' });
    const otherAuth = oauth.ClientSecretBasic(other.clientSecret!);
    const foreign = await oauth.processIntrospectionResponse(as, other.client, await oauth.introspectionRequest(as, other.client, otherAuth, tokens.access_token, INSECURE));
    expect(foreign).toEqual({ active: false });
    const garbage = await postForm(`${relay.url}/oauth/introspect`, { token: 'oat_nothing' }, { authorization: basic(confidential.client.client_id, confidential.clientSecret!) });
    expect(garbage.body).toEqual({ active: false });
    expect(garbage.headers['cache-control']).toBe('no-store');
  });

  it('revocation (RFC 7009): an access token ends alone, a refresh token ends its authorization', async () => {
    const auth = oauth.ClientSecretBasic(confidential.clientSecret!);
    const a = await codeFlow(relay, as, dashboard, confidential);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, confidential.client, auth, a.access_token, INSECURE));
    const refused = await webhook(a.access_token, searchRead);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="odoo-relay", error="invalid_token"/);
    // The refresh token still works: only the access token was revoked.
    const refreshed = await postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: a.refresh_token! }, { authorization: basic(confidential.client.client_id, confidential.clientSecret!) });
    expect(refreshed.status).toBe(200);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, confidential.client, auth, refreshed.body.refresh_token, INSECURE));
    expect((await webhook(refreshed.body.access_token, searchRead)).status).toBe(401);
    // Unknown tokens and other clients' tokens answer 200 too, and change nothing.
    const b = await codeFlow(relay, as, dashboard, confidential);
    const other = await registerApp(relay, { name: 'Other revoker' });
    const foreign = await postForm(`${relay.url}/oauth/revoke`, { token: b.access_token }, { authorization: basic(other.client.client_id, other.clientSecret!) });
    expect(foreign.status).toBe(200);
    // An empty JSON object, not an empty body: clients that parse every answer as JSON
    // (simple-oauth2) failed on the empty one, part-way through revoking a pair.
    expect(foreign.headers['content-type']).toMatch(/^application\/json/);
    expect(foreign.body).toEqual({});
    expect((await webhook(b.access_token, searchRead)).status).toBe(200);
  });

  it('a public client uses code + PKCE with its client id only, and refreshes the same way', async () => {
    const pub = await registerApp(relay, { name: 'Native app', clientType: 'public' });
    expect(pub.clientSecret).toBeNull();
    const tokens = await codeFlow(relay, as, dashboard, pub);
    expect(tokens.refresh_token).toMatch(/^ort_/);
    const refreshed = await oauth.processRefreshTokenResponse(as, pub.client, await oauth.refreshTokenGrantRequest(as, pub.client, oauth.None(), tokens.refresh_token!, INSECURE));
    expect((await webhook(refreshed.access_token, searchRead)).status).toBe(200);
  });

  it('revoking access in the dashboard, or deleting the app, kills its tokens', async () => {
    const app = await registerApp(relay, { name: 'Soon revoked' });
    const tokens = await codeFlow(relay, as, dashboard, app);
    const listed = await dashboard.call('GET', '/api/dashboard/authorized-apps');
    expect(listed.body.authorizedApps.find((g: any) => g.appId === app.id)).toMatchObject({ name: 'Soon revoked', scopes: ['webhook', 'read', 'subscriptions'] });
    expect((await dashboard.call('POST', `/api/dashboard/authorized-apps/${app.id}/revoke`, {}, { csrf: false })).status).toBe(403);
    expect((await dashboard.call('POST', `/api/dashboard/authorized-apps/${app.id}/revoke`, {})).status).toBe(200);
    expect((await webhook(tokens.access_token, searchRead)).body.code).toBe('invalid_token');
    const refresh = await postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { authorization: basic(app.client.client_id, app.clientSecret!) });
    expect(refresh.body.error).toBe('invalid_grant');
    expect((await dashboard.call('GET', '/api/dashboard/authorized-apps')).body.authorizedApps.some((g: any) => g.appId === app.id)).toBe(false);
    expect((await dashboard.call('POST', `/api/dashboard/authorized-apps/${app.id}/revoke`, {})).status).toBe(404);

    const doomed = await registerApp(relay, { name: 'Soon deleted' });
    const cc = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(doomed.client.client_id, doomed.clientSecret!) });
    expect((await webhook(cc.body.access_token, searchRead)).status).toBe(200);
    expect((await dashboard.call('DELETE', `/api/dashboard/apps/${doomed.id}`)).status).toBe(200);
    expect((await webhook(cc.body.access_token, searchRead)).body.code).toBe('invalid_token');
  });

  it("revoking an app's access, or deleting it, pauses the subscriptions it created (their deliveries go to the app)", async () => {
    const subscribe = async (authorization: string, name: string) => {
      const body = { name, model: 'res.partner', targetUrl: 'http://127.0.0.1:9/app-receiver', captureMode: 'poll', events: ['create'] };
      const r = await request(`${relay.url}/api/v1/subscriptions`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await r.body.json()) as { subscription: { id: string; appId: string | null } };
      expect(r.statusCode, JSON.stringify(answer)).toBe(201);
      return answer.subscription;
    };
    const state = async (id: string) => (await dashboard.call('GET', `/api/v1/subscriptions/${id}`)).body.subscription;

    const app = await registerApp(relay, { name: 'Collector' });
    const tokens = await codeFlow(relay, as, dashboard, app);
    const byApp = await subscribe(`Bearer ${tokens.access_token}`, 'made by the app');
    expect(byApp.appId).toBe(app.id);
    const byKey = await subscribe(`Bearer ${(await relay.createKey({ scopes: ['subscriptions'] })).key}`, 'made with a key');
    expect(byKey.appId).toBeNull();

    const revoked = await dashboard.call('POST', `/api/dashboard/authorized-apps/${app.id}/revoke`, {});
    expect(revoked.body).toMatchObject({ success: true, pausedSubscriptions: 1 });
    expect(await state(byApp.id)).toMatchObject({ active: false, disabledReason: "paused: you revoked the access of 'Collector', the app that created it" });
    expect(await state(byKey.id)).toMatchObject({ active: true });

    const doomed = await registerApp(relay, { name: 'Doomed collector' });
    const cc = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(doomed.client.client_id, doomed.clientSecret!) });
    const byDoomed = await subscribe(`Bearer ${cc.body.access_token}`, 'made by the doomed app');
    expect((await dashboard.call('DELETE', `/api/dashboard/apps/${doomed.id}`)).body).toMatchObject({ success: true, pausedSubscriptions: 1 });
    expect(await state(byDoomed.id)).toMatchObject({ active: false, disabledReason: "paused: the app 'Doomed collector' that created it was deleted" });
  });
});
