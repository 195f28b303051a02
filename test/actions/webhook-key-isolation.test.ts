import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { createUser, type User } from '../../src/auth/users.js';
import { createApiKey, updateApiKey } from '../../src/auth/api-keys.js';
import { resolveConnection } from '../../src/connections/store.js';

/**
 * Two users on one relay, each with an Odoo connection of their own on a different Odoo test
 * server (different version, database and login), so every answer tells which one served it.
 */
const B_PASSWORD = 'correct horse battery staple';
let simA: OdooSim;
let simB: OdooSim;
let relay: TestRelay;
let userB: User;
let connectionA: string;
let keyA: string;
let keyB: string;

const hook = (key: string, body: unknown) => relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}` });
const create = (key: string, name: string) => hook(key, { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] });
const countIn = (sim: OdooSim, name: string) => sim.engine.execute(2, 'res.partner', 'search_count', [[['name', '=', name]]], {});

beforeAll(async () => {
  [simA, simB] = await Promise.all([
    startOdooSim({ version: 18, db: 'odoo_a', automationNoise: 'none' }),
    startOdooSim({ version: 19, db: 'odoo_b', automationNoise: 'none' }),
  ]);
  relay = await startTestRelay();
  await relay.connectOdoo({ url: simA.url, database: 'odoo_a', login: 'admin', secret: 'admin' });
  connectionA = (await resolveConnection(relay.ctx.storage.db, relay.admin.id, null))!.connection.id;
  keyA = (await relay.createKey({ name: 'A' })).key;

  // User B sets up their connection and key through the dashboard, as a person would.
  userB = await createUser(relay.ctx.storage.db, { username: 'user-b', password: B_PASSWORD });
  const dashboard = new DashboardClient(relay.url);
  await dashboard.login('user-b', B_PASSWORD);
  const saved = await dashboard.call('PUT', '/api/dashboard/connection', { url: simB.url, database: 'odoo_b', login: 'demo', secret: 'demo-api-key' });
  expect(saved.status).toBe(200);
  const created = await dashboard.call('POST', '/api/dashboard/api-keys', { name: 'B' });
  expect(created.status).toBe(200);
  keyB = created.body.key;
});
afterAll(async () => {
  await relay.close();
  await Promise.all([simA.close(), simB.close()]);
});

describe("each key acts on its owner's Odoo connection only", () => {
  it('get_config shows each caller its own connection', async () => {
    const [a, b] = await Promise.all([hook(keyA, { action: 'get_config' }), hook(keyB, { action: 'get_config' })]);
    expect(a.body.result).toMatchObject({ url: simA.url, database: 'odoo_a', login: 'admin', version: '18.0' });
    expect(b.body.result).toMatchObject({ url: simB.url, database: 'odoo_b', login: 'demo', version: '19.0', protocol: 'json2' });
  });

  it('test_connection logs in as each owner’s Odoo user', async () => {
    const a = await hook(keyA, { action: 'test_connection' });
    const b = await hook(keyB, { action: 'test_connection' });
    expect(a.body.result).toMatchObject({ connected: true, serverVersion: '18.0', uid: 2 });
    expect(b.body.result).toMatchObject({ connected: true, serverVersion: '19.0', uid: 6 });
  });

  it("execute_method with B's key writes to B's Odoo, never A's (also when calls interleave)", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `Isolation ${i % 2 ? 'B' : 'A'} ${i} ${Date.now()}`);
    const answers = await Promise.all(names.map((name, i) => create(i % 2 ? keyB : keyA, name)));
    for (const a of answers) expect(a.status).toBe(200);
    names.forEach((name, i) => {
      const mine = i % 2 ? simB : simA;
      const other = i % 2 ? simA : simB;
      expect(countIn(mine, name), name).toBe(1);
      expect(countIn(other, name), name).toBe(0);
    });
    // The record was created as B's Odoo user (demo, uid 6).
    const id = answers[1]!.body.result;
    const read = simB.engine.execute(2, 'res.partner', 'read', [[id]], { fields: ['create_uid'] }) as { create_uid: [number, string] }[];
    expect(read[0]!.create_uid[0]).toBe(6);
  });
});

describe("a key pinned to another user's connection", () => {
  it('cannot be created or re-pinned: the key owner must own the connection', async () => {
    await expect(createApiKey(relay.ctx.storage.db, relay.ctx.box, { userId: userB.id, name: 'pinned to A', connectionId: connectionA }, 100)).rejects.toMatchObject({
      code: 'invalid_request',
      details: { field: 'connectionId' },
    });
    const created = await createApiKey(relay.ctx.storage.db, relay.ctx.box, { userId: userB.id, name: 'later pinned' }, 100);
    await expect(updateApiKey(relay.ctx.storage.db, created.apiKey.id, userB.id, { connectionId: connectionA })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { field: 'connectionId' },
    });
    expect((await hook(created.key, { action: 'get_config' })).body.result.database).toBe('odoo_b');
  });

  it('pinned anyway (written to the database directly) is refused with 404 no_odoo_connection and never reaches that Odoo', async () => {
    const pinned = await createApiKey(relay.ctx.storage.db, relay.ctx.box, { userId: userB.id, name: 'pinned to A' }, 100);
    await relay.ctx.storage.db.updateTable('api_keys').set({ connection_id: connectionA }).where('id', '=', pinned.apiKey.id).execute();
    relay.ctx.caches.apiKeys.clear();
    const config = await hook(pinned.key, { action: 'get_config' });
    expect(config.status).toBe(404);
    expect(config.body.code).toBe('no_odoo_connection');
    expect(config.text).not.toContain(simA.url);
    const name = `Pinned across users ${Date.now()}`;
    const r = await create(pinned.key, name);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('no_odoo_connection');
    expect(countIn(simA, name)).toBe(0);
    expect(countIn(simB, name)).toBe(0);
  });

  it('cannot be made through the dashboard: a connectionId in the request is not taken', async () => {
    const dashboard = new DashboardClient(relay.url);
    await dashboard.login('user-b', B_PASSWORD);
    const created = await dashboard.call('POST', '/api/dashboard/api-keys', { name: 'tries to pin', connectionId: connectionA });
    // The dashboard schema has no connectionId: it is dropped, and the key acts on B's own connection.
    expect(created.status).toBe(200);
    expect(created.body.apiKey.connectionId).toBeNull();
    expect((await hook(created.body.key, { action: 'get_config' })).body.result.database).toBe('odoo_b');
    const patched = await dashboard.call('PATCH', `/api/dashboard/api-keys/${created.body.apiKey.id}`, { connectionId: connectionA });
    expect(patched.status).toBe(200);
    expect(patched.body.apiKey.connectionId).toBeNull();
    expect((await hook(created.body.key, { action: 'get_config' })).body.result.database).toBe('odoo_b');
    // And B's dashboard never shows A's connection.
    const shown = await dashboard.call('GET', '/api/dashboard/connection');
    expect(shown.body.connection).toMatchObject({ url: simB.url, database: 'odoo_b', login: 'demo' });
  });
});
