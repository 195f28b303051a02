import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as oauth from 'oauth4webapi';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { sha256Hex } from '../../src/ids/random.js';
import { approvedAuthorization, basic, codeFlow, discover, pkce, postForm, raw, REDIRECT_URI, registerApp, signIn, type RegisteredApp } from './helpers.js';

/** Every refusal of the authorization server, each with the exact OAuth error it must answer. */
describe('OAuth 2.0 refusals', () => {
  let relay: TestRelay;
  let as: oauth.AuthorizationServer;
  let dashboard: DashboardClient;
  let app: RegisteredApp;
  let pub: RegisteredApp;

  const authorizeUrl = (params: Record<string, string>) => `${relay.url}/oauth/authorize?${new URLSearchParams(params)}`;
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${relay.url}/oauth/token`, form, headers);
  const asApp = () => ({ authorization: basic(app.client.client_id, app.clientSecret!) });
  /** A code (and its PKCE verifier) from an approved consent. */
  async function freshCode(registered = app, scope?: string) {
    const { back, verifier } = await approvedAuthorization(relay, dashboard, registered, scope);
    return { code: back.searchParams.get('code')!, verifier };
  }
  const expectOAuthError = (r: { status: number; body: any; headers: any }, status: number, error: string) => {
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
    expect(typeof r.body.error_description).toBe('string');
    expect(r.body.success).toBeUndefined();
    expect(r.headers['cache-control']).toBe('no-store');
  };

  beforeAll(async () => {
    relay = await startTestRelay();
    as = await discover(relay);
    dashboard = await signIn(relay);
    app = await registerApp(relay, { scopes: ['read', 'webhook'] });
    pub = await registerApp(relay, { name: 'Public', clientType: 'public' });
  });
  afterAll(async () => {
    await relay?.close();
  });

  describe('authorization endpoint', () => {
    it('an unknown client or an unregistered redirect_uri shows an error page and never redirects', async () => {
      const { challenge } = await pkce();
      const base = { response_type: 'code', client_id: app.client.client_id, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256' };
      for (const params of [
        { ...base, client_id: 'client_unknown' },
        { ...base, redirect_uri: 'https://evil.example/callback' },
        { ...base, redirect_uri: `${REDIRECT_URI}/` },
        { response_type: 'code', redirect_uri: REDIRECT_URI },
        { ...base, redirect_uri: '' },
        // Refused before the route (no id may hold a NUL), and still a page, not a JSON 500.
        { ...base, client_id: 'x\u0000' },
      ]) {
        const r = await raw(authorizeUrl(params as Record<string, string>));
        expect(r.status).toBe(400);
        expect(r.headers.location).toBeUndefined();
        expect(r.headers['content-type']).toMatch(/^text\/html/);
        expect(r.text).toContain('Authorization request refused');
      }
      const repeated = await raw(`${authorizeUrl(base)}&client_id=${app.client.client_id}`);
      expect(repeated.status).toBe(400);
      expect(repeated.headers.location).toBeUndefined();
    });

    it('other errors redirect with error, state and iss (RFC 6749 §4.1.2.1, RFC 9207)', async () => {
      const { challenge } = await pkce();
      const base = { response_type: 'code', client_id: app.client.client_id, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', state: 'st4te' };
      const cases: [Record<string, string | undefined>, string][] = [
        [{ response_type: undefined }, 'invalid_request'],
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ scope: 'read subscriptions' }, 'invalid_scope'],
        [{ scope: 'admin' }, 'invalid_scope'],
        [{ code_challenge_method: 'plain' }, 'invalid_request'],
        [{ code_challenge_method: undefined }, 'invalid_request'],
        [{ code_challenge: 'too-short' }, 'invalid_request'],
      ];
      for (const [change, error] of cases) {
        const params = Object.fromEntries(Object.entries({ ...base, ...change }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        const r = await raw(authorizeUrl(params));
        expect(r.status, JSON.stringify(change)).toBe(302);
        const to = new URL(String(r.headers.location));
        expect(`${to.origin}${to.pathname}`).toBe(REDIRECT_URI);
        expect(to.searchParams.get('error'), JSON.stringify(change)).toBe(error);
        expect(to.searchParams.get('state')).toBe('st4te');
        expect(to.searchParams.get('iss')).toBe(relay.url);
        expect(to.searchParams.get('code')).toBeNull();
      }
      const repeatedScope = await raw(`${authorizeUrl(base)}&scope=read&scope=webhook`);
      expect(new URL(String(repeatedScope.headers.location)).searchParams.get('error')).toBe('invalid_request');
    });

    it('a public client must use PKCE', async () => {
      const r = await raw(authorizeUrl({ response_type: 'code', client_id: pub.client.client_id, redirect_uri: REDIRECT_URI, state: 's' }));
      const to = new URL(String(r.headers.location));
      expect(to.searchParams.get('error')).toBe('invalid_request');
      expect(to.searchParams.get('error_description')).toMatch(/PKCE/);
    });
  });

  describe('consent', () => {
    async function pendingRequest() {
      const { challenge } = await pkce();
      const r = await raw(authorizeUrl({ response_type: 'code', client_id: app.client.client_id, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz' }));
      return new URL(String(r.headers.location), relay.url).searchParams.get('request')!;
    }

    it('shows the request to a signed-in user, and needs a session and the CSRF token to decide', async () => {
      const id = await pendingRequest();
      const shown = await dashboard.call('GET', `/api/dashboard/oauth/consent?request=${id}`);
      expect(shown.status).toBe(200);
      expect(shown.body.request).toMatchObject({ app: { name: 'Test app', owner: relay.admin.username }, scopes: ['read', 'webhook'], redirectUri: REDIRECT_URI });
      const anonymous = new DashboardClient(relay.url);
      expect((await anonymous.call('GET', `/api/dashboard/oauth/consent?request=${id}`)).body.code).toBe('unauthenticated');
      expect((await anonymous.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true })).status).toBe(401);
      const noCsrf = await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true }, { csrf: false });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.code).toBe('csrf_failed');
      // Still pending after the refusals: the real decision goes through, once.
      expect((await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true })).status).toBe(200);
      expect((await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true })).status).toBe(404);
      expect((await dashboard.call('GET', `/api/dashboard/oauth/consent?request=${id}`)).status).toBe(404);
    });

    it('deny redirects with access_denied and no code', async () => {
      const id = await pendingRequest();
      const denied = await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: false });
      const to = new URL(denied.body.redirectTo);
      expect(to.searchParams.get('error')).toBe('access_denied');
      expect(to.searchParams.get('state')).toBe('xyz');
      expect(to.searchParams.get('code')).toBeNull();
    });

    it('an expired or unknown request is refused', async () => {
      const id = await pendingRequest();
      await relay.ctx.storage.db.updateTable('oauth2_requests').set({ expires_at: Date.now() - 1 }).where('id', '=', id).execute();
      expect((await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve: true })).status).toBe(404);
      expect((await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: 'oar_nope', approve: true })).status).toBe(404);
    });
  });

  describe('token endpoint', () => {
    it('a wrong or missing PKCE verifier is invalid_grant', async () => {
      const a = await freshCode();
      expectOAuthError(await token({ grant_type: 'authorization_code', code: a.code, redirect_uri: REDIRECT_URI, code_verifier: (await pkce()).verifier }, asApp()), 400, 'invalid_grant');
      const b = await freshCode();
      const missing = await token({ grant_type: 'authorization_code', code: b.code, redirect_uri: REDIRECT_URI }, asApp());
      expectOAuthError(missing, 400, 'invalid_grant');
      expect(missing.body.error_description).toMatch(/PKCE/);
    });

    it('a reused code is refused and the tokens issued from it are revoked', async () => {
      const { code, verifier } = await freshCode();
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      const first = await token(form, asApp());
      expect(first.status).toBe(200);
      const again = await token(form, asApp());
      expectOAuthError(again, 400, 'invalid_grant');
      expect(again.body.error_description).toMatch(/already used/);
      const call = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${first.body.access_token}` });
      expect(call.body.code).toBe('invalid_token');
      expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, asApp()), 400, 'invalid_grant');
    });

    it('a different redirect_uri, another client or an expired code is invalid_grant', async () => {
      const a = await freshCode();
      expectOAuthError(await token({ grant_type: 'authorization_code', code: a.code, redirect_uri: 'http://127.0.0.1:9/other', code_verifier: a.verifier }, asApp()), 400, 'invalid_grant');
      const b = await freshCode();
      const other = await registerApp(relay, { name: 'Thief' });
      expectOAuthError(
        await token({ grant_type: 'authorization_code', code: b.code, redirect_uri: REDIRECT_URI, code_verifier: b.verifier }, { authorization: basic(other.client.client_id, other.clientSecret!) }),
        400,
        'invalid_grant',
      );
      const c = await freshCode();
      await relay.ctx.storage.db.updateTable('oauth2_codes').set({ expires_at: Date.now() - 1 }).where('code_hash', '=', sha256Hex(c.code)).execute();
      const expired = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier }, asApp());
      expectOAuthError(expired, 400, 'invalid_grant');
      expect(expired.body.error_description).toMatch(/expired/);
      expectOAuthError(await token({ grant_type: 'authorization_code', code: 'oac_unknown', redirect_uri: REDIRECT_URI, code_verifier: c.verifier }, asApp()), 400, 'invalid_grant');
    });

    it('an unknown client or a wrong secret is a 401 invalid_client with a Basic challenge, whichever way it is sent', async () => {
      const attempts = [
        token({ grant_type: 'client_credentials' }, { authorization: basic('client_unknown', 'x') }),
        token({ grant_type: 'client_credentials' }, { authorization: basic(app.client.client_id, 'cs_wrong') }),
        token({ grant_type: 'client_credentials', client_id: app.client.client_id, client_secret: 'cs_wrong' }),
        token({ grant_type: 'client_credentials', client_id: 'client_unknown', client_secret: 'x' }),
        token({ grant_type: 'client_credentials', client_id: app.client.client_id }),
        token({ grant_type: 'client_credentials' }),
        // A public client presenting a secret is misconfigured, not authenticated.
        token({ grant_type: 'refresh_token', refresh_token: 'ort_x', client_id: pub.client.client_id, client_secret: 'anything' }),
      ];
      for (const r of await Promise.all(attempts)) {
        expectOAuthError(r, 401, 'invalid_client');
        expect(r.headers['www-authenticate']).toBe('Basic realm="odoo-relay"');
      }
    });

    it('a NUL in a form field is invalid_request, whatever the database (PostgreSQL cannot look it up)', async () => {
      const forms: Record<string, string>[] = [
        { grant_type: 'client_credentials', client_id: 'ab\u0000c', client_secret: 'x' },
        { grant_type: 'refresh_token', refresh_token: 'ort_\u0000', client_id: pub.client.client_id },
      ];
      for (const form of forms) {
        expectOAuthError(await token(form), 400, 'invalid_request');
      }
    });

    it('a scope beyond the app’s registration is invalid_scope', async () => {
      expectOAuthError(await token({ grant_type: 'client_credentials', scope: 'subscriptions' }, asApp()), 400, 'invalid_scope');
      expectOAuthError(await token({ grant_type: 'client_credentials', scope: 'read everything' }, asApp()), 400, 'invalid_scope');
    });

    it('malformed requests: grant type, content type, two auth methods, repeated parameters, public client credentials', async () => {
      expectOAuthError(await token({ grant_type: 'password', username: 'a', password: 'b' }, asApp()), 400, 'unsupported_grant_type');
      expectOAuthError(await token({}, asApp()), 400, 'invalid_request');
      const json = await raw(`${relay.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...asApp() }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
      expectOAuthError(json, 400, 'invalid_request');
      // A JSON body that does not parse, or smuggles __proto__, is the client's fault at every endpoint (it was a 500).
      for (const endpoint of ['token', 'revoke', 'introspect']) {
        for (const body of ['{', '{"__proto__":{"x":1}}']) {
          const broken = await raw(`${relay.url}/oauth/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', ...asApp() }, body });
          expectOAuthError(broken, 400, 'invalid_request');
        }
      }
      expectOAuthError(await token({ grant_type: 'client_credentials', client_secret: app.clientSecret! }, asApp()), 400, 'invalid_request');
      const repeated = await raw(`${relay.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...asApp() },
        body: 'grant_type=client_credentials&scope=read&scope=webhook',
      });
      expectOAuthError(repeated, 400, 'invalid_request');
      expectOAuthError(await token({ grant_type: 'client_credentials', client_id: pub.client.client_id }), 400, 'unauthorized_client');
    });

    it('a refresh refused for its scope leaves the refresh token and its access token valid (RFC 6749 §5.2)', async () => {
      const tokens = await codeFlow(relay, as, dashboard, app, 'read');
      for (const scope of ['read webhook', 'admin']) {
        expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope }, asApp()), 400, 'invalid_scope');
      }
      const introspect = (t: string) => postForm(`${relay.url}/oauth/introspect`, { token: t }, asApp());
      expect((await introspect(tokens.access_token)).body.active).toBe(true);
      expect((await introspect(tokens.refresh_token!)).body.active).toBe(true);
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, asApp());
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.body.scope).toBe('read');

      // A spent refresh token is still reuse, whatever its scope: the family is revoked.
      expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: 'admin' }, asApp()), 400, 'invalid_grant');
      expect((await introspect(refreshed.body.access_token)).body).toEqual({ active: false });
      expect((await introspect(refreshed.body.refresh_token)).body).toEqual({ active: false });
    });

    it('a refresh token is refused for another client and when expired', async () => {
      const tokens = await codeFlow(relay, as, dashboard, app);
      const other = await registerApp(relay, { name: 'Other client' });
      expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { authorization: basic(other.client.client_id, other.clientSecret!) }), 400, 'invalid_grant');
      await relay.ctx.storage.db.updateTable('oauth2_tokens').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', sha256Hex(tokens.refresh_token!)).execute();
      expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, asApp()), 400, 'invalid_grant');
    });
  });

  describe('resource calls', () => {
    it('an expired, unknown or refresh token is a 401 invalid_token with a Bearer challenge', async () => {
      const tokens = await codeFlow(relay, as, dashboard, app);
      await relay.ctx.storage.db.updateTable('oauth2_tokens').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', sha256Hex(tokens.access_token)).execute();
      for (const bearer of [tokens.access_token, 'oat_doesnotexist', tokens.refresh_token!]) {
        const r = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${bearer}` });
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ success: false, code: 'invalid_token' });
        expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="odoo-relay", error="invalid_token", error_description="/);
        expect(r.text).not.toContain(bearer);
        const subs = await raw(`${relay.url}/api/v1/subscriptions`, { headers: { authorization: `Bearer ${bearer}` } });
        expect(subs.status).toBe(401);
        expect(subs.body.code).toBe('invalid_token');
      }
    });

    it('API keys are unaffected: a non-oat bearer is still checked as an API key', async () => {
      const r = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: 'Bearer nonsense' });
      expect(r.body.code).toBe('invalid_api_key');
    });

    it('introspection needs a confidential client', async () => {
      expectOAuthError(await postForm(`${relay.url}/oauth/introspect`, { token: 'oat_x', client_id: pub.client.client_id }), 401, 'invalid_client');
      expectOAuthError(await postForm(`${relay.url}/oauth/introspect`, { token: 'oat_x' }), 401, 'invalid_client');
      expectOAuthError(await postForm(`${relay.url}/oauth/revoke`, {}, asApp()), 400, 'invalid_request');
    });
  });
});

describe('OAuth 2.0 issuer behind a proxy', () => {
  it('PUBLIC_URL is the issuer, in the metadata and in the iss of redirects', async () => {
    const relay = await startTestRelay({ env: { PUBLIC_URL: 'https://relay.example.com/' } });
    try {
      const meta = await raw(`${relay.url}/.well-known/oauth-authorization-server`);
      expect(meta.body).toMatchObject({ issuer: 'https://relay.example.com', token_endpoint: 'https://relay.example.com/oauth/token' });
      expect(String(meta.headers.vary ?? '')).not.toMatch(/\bHost\b/);
      const app = await registerApp(relay);
      const r = await raw(`${relay.url}/oauth/authorize?${new URLSearchParams({ response_type: 'token', client_id: app.client.client_id, redirect_uri: REDIRECT_URI })}`);
      expect(new URL(String(r.headers.location)).searchParams.get('iss')).toBe('https://relay.example.com');
    } finally {
      await relay.close();
    }
  });
});

describe('OAuth 2.0 issuer under a path prefix', () => {
  it("answers RFC 8414 §3.1's well-known path with the issuer's path appended, and the plain one", async () => {
    const relay = await startTestRelay({ env: { PUBLIC_URL: 'https://example.com/relay/' } });
    try {
      for (const path of ['/.well-known/oauth-authorization-server/relay', '/.well-known/oauth-authorization-server']) {
        const meta = await raw(relay.url + path);
        expect(meta.status, path).toBe(200);
        expect(meta.body).toMatchObject({ issuer: 'https://example.com/relay', token_endpoint: 'https://example.com/relay/oauth/token' });
      }
      expect((await raw(`${relay.url}/.well-known/oauth-authorization-server/other`)).status).toBe(404);
    } finally {
      await relay.close();
    }
  });
});

describe('OAuth 2.0 issuer without PUBLIC_URL', () => {
  it('follows the Host header, and says so to caches (Vary), so one host is never served another host\'s issuer', async () => {
    const relay = await startTestRelay();
    try {
      const meta = await raw(`${relay.url}/.well-known/oauth-authorization-server`);
      expect(meta.body.issuer).toBe(relay.url);
      expect(String(meta.headers.vary)).toMatch(/\bHost\b/);
      expect(String(meta.headers.vary)).toMatch(/\bOrigin\b/);
    } finally {
      await relay.close();
    }
  });
});
