import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthServerInfo, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, httpGet, type TestRelay } from '../helpers/relay.js';
import { queryRequestLog } from '../../src/request-log/query.js';

/** The MCP server at /mcp, driven by the MCP SDK's own client over Streamable HTTP. */
describe('MCP server', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let writeKey: string;
  let readKey: string;
  const clients: Client[] = [];

  async function connect(key: string, query = ''): Promise<Client> {
    const client = new Client({ name: 'relay-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${relay.url}/mcp${query}`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }
  const text = (result: any) => (result.content as { type: string; text: string }[]).map((c) => c.text).join('');

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    writeKey = (await relay.createKey({ scopes: ['webhook'] })).key;
    readKey = (await relay.createKey({ scopes: ['read'] })).key;
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await relay?.close();
    await sim?.close();
  });

  it('lists the read tools with their input schemas', async () => {
    const client = await connect(readKey);
    expect(client.getServerVersion()).toMatchObject({ name: 'odoo-relay' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['describe_model', 'list_models', 'read_group', 'search_count', 'search_read']);
    const searchRead = tools.find((t) => t.name === 'search_read')!;
    expect(searchRead.inputSchema.required).toEqual(expect.arrayContaining(['model', 'fields']));
    expect(searchRead.annotations?.readOnlyHint).toBe(true);
  });

  it('calls search_read on the Odoo test server and logs the call', async () => {
    const client = await connect(readKey);
    const result = await client.callTool({
      name: 'search_read',
      arguments: { model: 'res.partner', domain: [['is_company', '=', true]], fields: ['name', 'email'], limit: 5 },
    });
    expect(result.isError).toBeFalsy();
    const { rows } = JSON.parse(text(result));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(5);
    expect(Object.keys(rows[0]).sort()).toEqual(['email', 'id', 'name']);

    await relay.ctx.requestLog.flush();
    const { rows: logged } = await queryRequestLog(relay.ctx.storage.db, { action: 'mcp.tool' });
    expect(logged[0]).toMatchObject({ model: 'res.partner', method: 'search_read', status: 200, authMethod: 'api_key' });
  });

  it('caps the size of a tool result as the chat agent does (a record with a 2 MB note)', async () => {
    const id = sim.engine.execute(2, 'res.partner', 'create', [{ name: 'Huge MCP note', comment: 'Y'.repeat(2_000_000) }], {}) as number;
    const client = await connect(readKey);
    const result = await client.callTool({ name: 'search_read', arguments: { model: 'res.partner', domain: [['id', '=', id]], fields: ['name', 'comment'] } });
    expect(result.isError).toBeFalsy();
    expect(text(result).length).toBeLessThan(40_000);
    const { rows } = JSON.parse(text(result));
    expect(rows[0].name).toBe('Huge MCP note');
    expect(rows[0].comment).toMatch(/more characters\]$/);
  });

  it('describes a model through fields_get', async () => {
    const client = await connect(readKey);
    const result = await client.callTool({ name: 'describe_model', arguments: { model: 'account.move' } });
    const { fields } = JSON.parse(text(result));
    expect(fields.amount_residual).toMatchObject({ type: 'monetary' });
    expect(fields.partner_id).toMatchObject({ type: 'many2one', relation: 'res.partner' });
  });

  it('does not offer write tools to a read key, and refuses them if called', async () => {
    const client = await connect(readKey);
    const result = await client.callTool({ name: 'create', arguments: { model: 'res.partner', values: { name: 'Nope' } } }).catch((err: Error) => ({ isError: true, content: [{ type: 'text', text: err.message }] }));
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Tool create not found/);
    expect(sim.engine.execute(2, 'res.partner', 'search_count', [[['name', '=', 'Nope']]], {})).toBe(0);
  });

  it('refuses allow_writes for a read key before any tool runs', async () => {
    await expect(connect(readKey, '?allow_writes=true')).rejects.toThrow(/403|forbidden_scope|webhook scope/);
  });

  it('creates a record with a webhook key that opted in to writes', async () => {
    const client = await connect(writeKey, '?allow_writes=true');
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'create')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tools.find((t) => t.name === 'write')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    const result = await client.callTool({ name: 'create', arguments: { model: 'res.partner', values: { name: 'From MCP' } } });
    expect(result.isError).toBeFalsy();
    const { id } = JSON.parse(text(result));
    expect(sim.engine.execute(2, 'res.partner', 'read', [[id]], { fields: ['name'] })).toEqual([{ id, name: 'From MCP' }]);
  });

  it("returns the key's allow-list refusal as a tool error", async () => {
    const limited = (await relay.createKey({ scopes: ['read'], allowedModels: ['res.partner'] })).key;
    const client = await connect(limited);
    const result = await client.callTool({ name: 'search_read', arguments: { model: 'account.move', domain: [], fields: ['name'] } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^model_not_allowed: /);
    const models = JSON.parse(text(await client.callTool({ name: 'list_models', arguments: {} }))).models.map((m: any) => m.model);
    expect(models).toEqual(['res.partner']);
  });

  it("holds the allow-list for the models a tool's values or domain reach", async () => {
    const limited = (await relay.createKey({ scopes: ['webhook'], allowedModels: ['res.partner'] })).key;
    const client = await connect(limited, '?allow_writes=true');
    const viaCountry = await client.callTool({ name: 'search_count', arguments: { model: 'res.partner', domain: [['country_id.code', '=', 'BE']] } });
    expect(viaCountry.isError).toBe(true);
    expect(text(viaCountry)).toMatch(/^model_not_allowed: 'res.partner.country_id' reaches records of 'res.country'/);
    const newTag = await client.callTool({ name: 'create', arguments: { model: 'res.partner', values: { name: 'Tagged by MCP', category_id: [[0, 0, { name: 'Made through MCP' }]] } } });
    expect(newTag.isError).toBe(true);
    expect(text(newTag)).toMatch(/^model_not_allowed: 'res.partner.category_id' would change records of 'res.partner.category'/);
    expect(sim.engine.execute(2, 'res.partner.category', 'search_count', [[['name', '=', 'Made through MCP']]], {})).toBe(0);
    // Comparing with ids stays on the partner.
    const byId = await client.callTool({ name: 'search_count', arguments: { model: 'res.partner', domain: [['country_id', '!=', false]] } });
    expect(byId.isError, text(byId)).toBeFalsy();
  });

  it('refuses a bad key and a missing key', async () => {
    await expect(connect('sk_live_notarealkey0000000000000000')).rejects.toThrow(/invalid_api_key/);
    const anonymous = new Client({ name: 'anon', version: '1' });
    await expect(anonymous.connect(new StreamableHTTPClientTransport(new URL(`${relay.url}/mcp`)))).rejects.toThrow(/401|unauthenticated|Unauthorized/i);
    // The refusal names what MCP takes, not the session cookie the rest of the API also takes.
    const raw = await relay.post('/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(raw.status).toBe(401);
    expect(raw.body.error).toBe('MCP needs an API key (Authorization: Bearer sk_live_…) or an OAuth 2.0 access token');
    expect(raw.headers['www-authenticate']).toMatch(/^Bearer realm="odoo-relay", resource_metadata="http:\/\/.+\/\.well-known\/oauth-protected-resource\/mcp"$/);
  });

  it("points a refused client at the authorization server (RFC 9728), as the MCP SDK's discovery reads it", async () => {
    const refused = await fetch(`${relay.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer sk_live_notarealkey0000000000000000' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(refused.status).toBe(401);
    const challenge = extractWWWAuthenticateParams(refused);
    expect(challenge).toMatchObject({ error: 'invalid_token' });
    expect(String(challenge.resourceMetadataUrl)).toBe(`${relay.url}/.well-known/oauth-protected-resource/mcp`);
    // What the SDK's client does next: the resource's metadata, then the authorization server's.
    const info = await discoverOAuthServerInfo(`${relay.url}/mcp`, { resourceMetadataUrl: challenge.resourceMetadataUrl });
    expect(info.resourceMetadata).toMatchObject({ resource: `${relay.url}/mcp`, authorization_servers: [relay.url], bearer_methods_supported: ['header'] });
    expect(info.authorizationServerMetadata).toMatchObject({ issuer: relay.url, token_endpoint: `${relay.url}/oauth/token`, code_challenge_methods_supported: ['S256'] });
  });

  it('refuses a key that requires HMAC signatures (MCP clients cannot sign)', async () => {
    const signed = (await relay.createKey({ scopes: ['read'], hmac: true })).key;
    await expect(connect(signed)).rejects.toThrow(/hmac_key_not_usable_for_mcp/);
  });

  it("applies the key's rate limit", async () => {
    const slow = (await relay.createKey({ scopes: ['read'], rateLimit: 3 })).key;
    const client = await connect(slow); // initialize + initialized notification: 2 requests
    await client.listTools(); // 3rd
    await expect(client.listTools()).rejects.toThrow(/429|rate/i);
  });

  it("answers a body that is not JSON with JSON-RPC's parse error, and other refusals in the relay's envelope", async () => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${relay.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
    const broken = await post('{"jsonrpc":"2.0",', { authorization: `Bearer ${readKey}` });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/^Parse error/) }, id: null });
    const unauthenticated = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', {});
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ success: false, code: 'unauthenticated' });
  });

  it('answers GET with 405 (stateless server: no stream to open)', async () => {
    const r = await httpGet(`${relay.url}/mcp`, { authorization: `Bearer ${readKey}` });
    expect(r.status).toBe(405);
  });
});
