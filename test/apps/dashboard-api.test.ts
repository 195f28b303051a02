import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { createUser } from '../../src/auth/users.js';
import { basic, postForm, signIn } from '../oauth2/helpers.js';

/** The dashboard's apps API: session + CSRF, secrets answered once, edits, rotation, deletion, ownership. */
describe('dashboard apps API', () => {
  let relay: TestRelay;
  let dashboard: DashboardClient;

  beforeAll(async () => {
    relay = await startTestRelay();
    dashboard = await signIn(relay);
  });
  afterAll(async () => {
    await relay?.close();
  });

  const create = (body: unknown) => dashboard.call('POST', '/api/dashboard/apps', body);

  it('creates an app and answers its secrets once; lists and gets never carry them', async () => {
    const r = await create({ name: 'Zapier bridge', redirectUris: ['https://zap.example/cb'], scopes: ['read', 'subscriptions'], allowedModels: ['res.partner'], rateLimit: 30 });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.app).toMatchObject({ name: 'Zapier bridge', clientType: 'confidential', redirectUris: ['https://zap.example/cb'], scopes: ['read', 'subscriptions'], allowedModels: ['res.partner'], rateLimit: 30 });
    const { clientId, clientSecret, consumerKey, consumerSecret } = r.body.secrets;
    expect(clientId).toBe(r.body.app.clientId);
    expect(clientSecret).toMatch(/^cs_/);
    expect(consumerKey).toBe(r.body.app.consumerKey);
    expect(consumerSecret).toMatch(/^ck_secret_/);

    const list = await dashboard.call('GET', '/api/dashboard/apps');
    expect(list.body.apps.map((a: any) => a.id)).toContain(r.body.app.id);
    expect(list.body.scopes).toEqual(['webhook', 'read', 'subscriptions']);
    const one = await dashboard.call('GET', `/api/dashboard/apps/${r.body.app.id}`);
    for (const text of [list.text, one.text]) {
      expect(text).not.toContain(clientSecret);
      expect(text).not.toContain(consumerSecret);
    }
    // The secret works at the token endpoint.
    const token = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, clientSecret) });
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe('read subscriptions');
  });

  it('a public app has no client secret but still an OAuth 1.0a consumer secret, and needs a redirect URI', async () => {
    const r = await create({ name: 'CLI', clientType: 'public', redirectUris: ['http://127.0.0.1:8765/cb'] });
    expect(r.body.secrets.clientSecret).toBeNull();
    expect(r.body.secrets.consumerSecret).toMatch(/^ck_secret_/);
    const none = await create({ name: 'CLI', clientType: 'public' });
    expect(none.status).toBe(400);
    expect(none.body.details.field).toBe('redirectUris');
    const emptied = await dashboard.call('PATCH', `/api/dashboard/apps/${r.body.app.id}`, { redirectUris: [] });
    expect(emptied.status).toBe(400);
    expect(emptied.body.details.field).toBe('redirectUris');
  });

  it('refuses invalid input, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x', scopes: ['admin'] }, 'scopes'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', clientType: 'spa' }, 'clientType'],
      [{ name: 'x', redirectUris: ['http://example.com/cb'] }, 'redirectUris.0'],
      [{ name: 'x', redirectUris: ['https://example.com/cb#frag'] }, 'redirectUris.0'],
      [{ name: 'x', rateLimit: 0 }, 'rateLimit'],
      [{ name: 'x', allowedModels: ['bad model!'] }, 'allowedModels'],
    ];
    for (const [body, field] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('invalid_request');
      expect(r.body.details.field).toBe(field);
    }
  });

  it('edits, rotates (old secret stops working at once) and deletes', async () => {
    const created = await create({ name: 'Rotating', redirectUris: ['https://a.example/cb'] });
    const id = created.body.app.id;
    const patched = await dashboard.call('PATCH', `/api/dashboard/apps/${id}`, { name: 'Renamed', redirectUris: ['https://a.example/cb', 'https://b.example/cb'], scopes: ['webhook'], allowedMethods: ['search_read'], rateLimit: 5 });
    expect(patched.status).toBe(200);
    expect(patched.body.app).toMatchObject({ name: 'Renamed', redirectUris: ['https://a.example/cb', 'https://b.example/cb'], scopes: ['webhook'], allowedMethods: ['search_read'], rateLimit: 5 });

    const old = created.body.secrets;
    const rotated = await dashboard.call('POST', `/api/dashboard/apps/${id}/rotate`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secrets.clientSecret).not.toBe(old.clientSecret);
    expect(rotated.body.secrets.consumerSecret).not.toBe(old.consumerSecret);
    const stale = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(old.clientId, old.clientSecret) });
    expect(stale.body.error).toBe('invalid_client');
    const fresh = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(old.clientId, rotated.body.secrets.clientSecret) });
    expect(fresh.status).toBe(200);

    expect((await dashboard.call('DELETE', `/api/dashboard/apps/${id}`)).status).toBe(200);
    expect((await dashboard.call('GET', `/api/dashboard/apps/${id}`)).status).toBe(404);
    const gone = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(old.clientId, rotated.body.secrets.clientSecret) });
    expect(gone.body.error).toBe('invalid_client');
  });

  it('needs a session and the CSRF token; another user cannot see or touch the app', async () => {
    const created = await create({ name: 'Mine' });
    const id = created.body.app.id;
    const anonymous = new DashboardClient(relay.url);
    expect((await anonymous.call('GET', '/api/dashboard/apps')).status).toBe(401);
    for (const [method, path] of [
      ['POST', '/api/dashboard/apps'],
      ['PATCH', `/api/dashboard/apps/${id}`],
      ['POST', `/api/dashboard/apps/${id}/rotate`],
      ['DELETE', `/api/dashboard/apps/${id}`],
    ] as const) {
      const r = await dashboard.call(method, path, method === 'DELETE' ? undefined : { name: 'x' }, { csrf: false });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe('csrf_failed');
    }
    await createUser(relay.ctx.storage.db, { username: 'someone', password: 'another long password', role: 'user' });
    const other = new DashboardClient(relay.url);
    await other.login('someone', 'another long password');
    expect((await other.call('GET', '/api/dashboard/apps')).body.apps).toEqual([]);
    expect((await other.call('GET', `/api/dashboard/apps/${id}`)).status).toBe(404);
    expect((await other.call('PATCH', `/api/dashboard/apps/${id}`, { name: 'Stolen' })).status).toBe(404);
    expect((await other.call('POST', `/api/dashboard/apps/${id}/rotate`, {})).status).toBe(404);
    expect((await other.call('DELETE', `/api/dashboard/apps/${id}`)).status).toBe(404);
    expect((await dashboard.call('GET', `/api/dashboard/apps/${id}`)).body.app.name).toBe('Mine');
  });
});
