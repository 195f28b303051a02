import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { call } from './helpers.js';
import { discover, INSECURE, registerApp as registerOAuth2App } from '../oauth2/helpers.js';
import { oauthClient, registerApp as registerOAuth1App } from '../oauth1/client.js';

/**
 * The promise for /api/v1/models: API keys, OAuth 2.0 bearer tokens and OAuth 1.0a
 * signatures are all accepted, under the same scopes and request log. Each credential comes
 * from an independent client library (oauth4webapi, oauth-1.0a); the MCP server takes the
 * same OAuth 2.0 tokens.
 */
const SIM_API_KEY = 'sim-admin-api-key-credentials-test';

describe('REST API with every kind of credential', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let as: oauth.AuthorizationServer;

  const listPath = `/api/v1/models/res.partner?domain=${encodeURIComponent(JSON.stringify([['is_company', '=', true]]))}&fields=name,email&limit=2`;

  async function clientCredentials(scopes: ('webhook' | 'read' | 'subscriptions')[], scope: string): Promise<string> {
    const app = await registerOAuth2App(relay, { scopes });
    const response = await oauth.clientCredentialsGrantRequest(as, app.client, oauth.ClientSecretBasic(app.clientSecret!), { scope }, INSECURE);
    return (await oauth.processClientCredentialsResponse(as, app.client, response)).access_token;
  }

  async function logRow(requestId: unknown) {
    await relay.ctx.requestLog.flush();
    return relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(requestId)).executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    sim = await startOdooSim({ version: 19, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: SIM_API_KEY });
    as = await discover(relay);
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  it('an API key lists records (the baseline the other credentials must match)', async () => {
    const { key, id } = await relay.createKey({ scopes: ['read'] });
    const r = await call(relay, 'GET', listPath, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(2);
    expect(r.body.total).toBeGreaterThan(2);
    expect(await logRow(r.headers['x-request-id'])).toMatchObject({ auth_method: 'api_key', api_key_id: id, action: 'rest.list', model: 'res.partner' });
  });

  it('an OAuth 2.0 access token (client credentials) lists, creates and is logged with its app', async () => {
    const token = await clientCredentials(['webhook', 'read'], 'webhook read');
    const list = await call(relay, 'GET', listPath, { authorization: `Bearer ${token}` });
    expect(list.status).toBe(200);
    expect(list.body.data.map((p: { name: string }) => typeof p.name)).toEqual(['string', 'string']);
    expect(list.headers['x-ratelimit-limit']).toBe('100');
    const row = await logRow(list.headers['x-request-id']);
    expect(row).toMatchObject({ auth_method: 'oauth2', user_id: relay.admin.id, action: 'rest.list' });
    expect(row.app_id).toMatch(/^app_/);

    const created = await call(relay, 'POST', '/api/v1/models/res.partner', { authorization: `Bearer ${token}` }, { name: 'Created over OAuth 2.0' });
    expect(created.status).toBe(201);
    const read = await call(relay, 'GET', `/api/v1/models/res.partner/${created.body.data.id}?fields=name`, { authorization: `Bearer ${token}` });
    expect(read.body.data.name).toBe('Created over OAuth 2.0');
  });

  it('an OAuth 2.0 token with only the read scope cannot create (403 forbidden_scope, nothing written)', async () => {
    const token = await clientCredentials(['read'], 'read');
    const before = await call(relay, 'GET', '/api/v1/models/res.partner?domain=[["name","=","Never created"]]', { authorization: `Bearer ${token}` });
    expect(before.body.total).toBe(0);
    const r = await call(relay, 'POST', '/api/v1/models/res.partner', { authorization: `Bearer ${token}` }, { name: 'Never created' });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('forbidden_scope');
    const after = await call(relay, 'GET', '/api/v1/models/res.partner?domain=[["name","=","Never created"]]', { authorization: `Bearer ${token}` });
    expect(after.body.total).toBe(0);
  });

  it('a request without credentials, or with a scheme other than Bearer, is told to use Bearer (RFC 6750 §3)', async () => {
    const none = await call(relay, 'GET', listPath, {});
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthenticated');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="odoo-relay"');
    const basicAuth = await call(relay, 'GET', listPath, { authorization: 'Basic YTpi' });
    expect(basicAuth.status).toBe(401);
    expect(basicAuth.headers['www-authenticate']).toBe('Bearer realm="odoo-relay", error="invalid_request"');
  });

  it('an unknown OAuth 2.0 token is refused with invalid_token and a Bearer challenge', async () => {
    const r = await call(relay, 'GET', listPath, { authorization: 'Bearer oat_0000000000000000000000000000000000000000' });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('invalid_token');
    expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer .*error="invalid_token"/);
  });

  for (const method of ['HMAC-SHA1', 'HMAC-SHA256'] as const) {
    it(`an OAuth 1.0a two-legged request (${method}) lists with a signed domain query and patches`, async () => {
      const { app, consumer } = await registerOAuth1App(relay, { scopes: ['webhook', 'read'] });
      const client = oauthClient(consumer, method);
      const list = await client.send('GET', relay.url + listPath);
      expect(list.status, list.text).toBe(200);
      expect(list.body.data).toHaveLength(2);
      expect(await logRow(list.headers['x-request-id'])).toMatchObject({ auth_method: 'oauth1', app_id: app.id, action: 'rest.list' });

      const id = list.body.data[0].id;
      const url = `${relay.url}/api/v1/models/res.partner/${id}`;
      // PATCH with a JSON body: the body is not part of an OAuth 1.0a signature (RFC 5849 §3.4.1.3.1).
      const headers = { authorization: client.authorization('PATCH', url, undefined), 'content-type': 'application/json' };
      const res = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ comment: `patched with ${method}` }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { comment: string } };
      expect(body.data.comment).toBe(`patched with ${method}`);
    });
  }

  it('an OAuth 1.0a client follows the paging links it is given (a space in the query is sent as %20)', async () => {
    const { consumer } = await registerOAuth1App(relay, { scopes: ['read'] });
    const client = oauthClient(consumer, 'HMAC-SHA256');
    const first = await client.send('GET', `${relay.url}/api/v1/models/res.partner?fields=name&limit=2&order=${encodeURIComponent('name asc')}`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.links.next).toContain('order=name%20asc');
    const next = await client.send('GET', relay.url + first.body.links.next);
    expect(next.status, next.text).toBe(200);
    expect(next.body.data.map((r: { name: string }) => r.name)).not.toContain(first.body.data[0].name);
  });

  it('an OAuth 1.0a request whose signed query was tampered with is refused', async () => {
    const { consumer } = await registerOAuth1App(relay, { scopes: ['read'] });
    const client = oauthClient(consumer, 'HMAC-SHA256');
    const authorization = client.authorization('GET', relay.url + listPath, undefined);
    const r = await call(relay, 'GET', listPath.replace('limit=2', 'limit=50'), { authorization });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('oauth1_invalid_signature');
  });

  it('the MCP server accepts an OAuth 2.0 access token and enforces its read scope', async () => {
    const token = await clientCredentials(['read'], 'read');
    const client = new Client({ name: 'oauth-mcp', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${relay.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('search_read');
      expect(tools.map((t) => t.name)).not.toContain('create');
      const result = await client.callTool({ name: 'search_count', arguments: { model: 'res.partner', domain: [['is_company', '=', true]] } });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toMatch(/\d+/);
    } finally {
      await client.close();
    }
  });
});
