import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { computeHmacHex } from '../../src/auth/hmac.js';

/** The plain encodings a secret could be "stored" under without being encrypted. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64').replace(/=+$/, '')];
}

/** A sealed value: neither the secret nor an encoding of it, and no part of it decodes to it. */
function expectSealed(stored: string | null, secret: string): void {
  expect(stored).toEqual(expect.any(String));
  for (const e of encodings(secret)) expect(stored).not.toContain(e);
  for (const part of stored!.split(/[.:$]/)) {
    for (const encoding of ['base64url', 'base64', 'hex'] as const) {
      expect(Buffer.from(part, encoding).toString('latin1')).not.toContain(secret);
    }
  }
}

describe.each(['sqlite', 'postgres'] as const)('secrets at rest (%s)', (database) => {
  const odooApiKey = `odoo-api-key-${crypto.randomBytes(16).toString('hex')}`;
  let sim: OdooSim;
  let relay: TestRelay;
  let dashboard: DashboardClient;
  let hmacSecretSeen: string | undefined;
  let apiKeySeen: string | undefined;

  beforeAll(async () => {
    sim = await startOdooSim({ version: 19, apiKey: odooApiKey, automationNoise: 'none' });
    relay = await startTestRelay(database === 'postgres' ? { databaseUrl: await createTestDatabase() } : {});
    dashboard = new DashboardClient(relay.url);
    await dashboard.login(relay.admin.username, 'correct horse battery');
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  const connectionRow = () => relay.ctx.storage.db.selectFrom('odoo_connections').selectAll().where('user_id', '=', relay.admin.id).executeTakeFirstOrThrow();

  it('stores the Odoo API key saved from the dashboard sealed, and still logs in to Odoo with it', async () => {
    const saved = await dashboard.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_demo', login: 'admin', secret: odooApiKey });
    expect(saved.status).toBe(200);
    expect(saved.text).not.toContain(odooApiKey);
    const row = await connectionRow();
    expectSealed(row.secret_enc, odooApiKey);
    for (const e of encodings(odooApiKey)) expect(JSON.stringify(row)).not.toContain(e);

    const { key } = await relay.createKey();
    const r = await relay.post('/api/n8n/webhook', { action: 'test_connection' }, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ connected: true, protocol: 'json2', uid: 2 });
  });

  it('seals the same secret differently each time it is saved (not a deterministic encoding)', async () => {
    const first = (await connectionRow()).secret_enc;
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: odooApiKey });
    const second = (await connectionRow()).secret_enc;
    expectSealed(second, odooApiKey);
    expect(second).not.toBe(first);
    const { key } = await relay.createKey();
    const r = await relay.post('/api/n8n/webhook', { action: 'test_connection' }, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
  });

  it("stores an API key's HMAC secret sealed and the key only as a hash; signed calls still verify", async () => {
    const created = await dashboard.call('POST', '/api/dashboard/api-keys', { name: 'signed', hmac: true });
    expect(created.status).toBe(200);
    const { key, hmacSecret } = created.body as { key: string; hmacSecret: string };
    hmacSecretSeen = hmacSecret;
    apiKeySeen = key;
    const row = await relay.ctx.storage.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.apiKey.id).executeTakeFirstOrThrow();
    expectSealed(row.hmac_secret_enc, hmacSecret);
    expectSealed(row.key_hash, key);
    for (const e of [...encodings(hmacSecret), ...encodings(key)]) expect(JSON.stringify(row)).not.toContain(e);

    const body = JSON.stringify({ action: 'get_config' });
    const signed = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'x-hmac-signature': computeHmacHex(hmacSecret, body) });
    expect(signed.status).toBe(200);
  });

  it('leaves no secret anywhere in the database (SQLite: the files on disk; PostgreSQL: every row of every table)', async () => {
    await relay.ctx.requestLog.flush();
    const secrets = [odooApiKey, hmacSecretSeen!, apiKeySeen!];
    const places: [string, string][] = [];
    if (database === 'sqlite') {
      const files = fs.readdirSync(relay.dataDir).filter((f) => f.startsWith('relay.db'));
      expect(files).toContain('relay.db');
      for (const f of files) places.push([f, fs.readFileSync(path.join(relay.dataDir, f)).toString('latin1')]);
    } else {
      const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public'`.execute(relay.ctx.storage.db);
      expect(tables.rows.length).toBeGreaterThan(5);
      for (const { tablename } of tables.rows) {
        const rows = await sql<{ j: unknown }>`select row_to_json(t) as j from ${sql.table(tablename)} t`.execute(relay.ctx.storage.db);
        places.push([tablename, JSON.stringify(rows.rows)]);
      }
    }
    for (const [where, text] of places) for (const s of secrets) for (const e of encodings(s)) expect(text.includes(e), `${e} in ${where}`).toBe(false);
  });
});
