import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { pruneRequestLog, queryRequestLog } from '../../src/request-log/query.js';

/** The same flows as on SQLite, on a real PostgreSQL, with two relay instances sharing it. */
describe('two relays on one PostgreSQL database', () => {
  let sim: OdooSim;
  let a: TestRelay;
  let b: TestRelay;
  let key: string;
  let hmacSecret: string;

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    const databaseUrl = await createTestDatabase();
    const masterKey = crypto.randomBytes(32).toString('base64');
    a = await startTestRelay({ databaseUrl, env: { MASTER_KEY: masterKey } });
    b = await startTestRelay({ databaseUrl, env: { MASTER_KEY: masterKey } });
    expect(a.ctx.storage.dialect).toBe('postgres');
    await a.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const created = await a.createKey({ hmac: true, rateLimit: 1000 });
    key = created.key;
    hmacSecret = created.hmacSecret!;
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await sim.close();
  });

  const signed = (relay: TestRelay, body: object, extra: Record<string, string> = {}) => {
    const raw = JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = crypto.createHmac('sha256', hmacSecret).update(`${ts}.${raw}`).digest('hex');
    return relay.post('/api/n8n/webhook', raw, { authorization: `Bearer ${key}`, 'x-hmac-signature': sig, 'x-hmac-timestamp': ts, ...extra });
  };

  it('a key and connection created through one instance work on the other (same master key)', async () => {
    const r = await signed(b, { action: 'test_connection' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ connected: true, uid: 2 });
  });

  it('an Idempotency-Key used on one instance is replayed by the other', async () => {
    // A retry re-sends the same bytes: with the plain (untimestamped) signature it verifies again.
    const raw = JSON.stringify({ action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: `PG idem ${Date.now()}` }] });
    const headers = {
      authorization: `Bearer ${key}`,
      'x-hmac-signature': crypto.createHmac('sha256', hmacSecret).update(raw).digest('hex'),
      'idempotency-key': 'pg-shared-1',
    };
    const first = await a.post('/api/n8n/webhook', raw, headers);
    const second = await b.post('/api/n8n/webhook', raw, headers);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('a timestamped signature accepted by one instance is a replay on the other', async () => {
    const raw = JSON.stringify({ action: 'get_config' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = crypto.createHmac('sha256', hmacSecret).update(`${ts}.${raw}`).digest('hex');
    const headers = { authorization: `Bearer ${key}`, 'x-hmac-signature': sig, 'x-hmac-timestamp': ts };
    expect((await a.post('/api/n8n/webhook', raw, headers)).status).toBe(200);
    const replay = await b.post('/api/n8n/webhook', raw, headers);
    expect(replay.status).toBe(401);
    expect(replay.body.details.reason).toBe('replayed');
  });

  it('keeps the request log in PostgreSQL, queryable and prunable', async () => {
    await a.ctx.requestLog.flush();
    await b.ctx.requestLog.flush();
    const page = await queryRequestLog(a.ctx.storage.db, { userId: a.admin.id, limit: 2 });
    expect(page.rows).toHaveLength(2);
    expect(page.nextBefore).not.toBeNull();
    const next = await queryRequestLog(a.ctx.storage.db, { userId: a.admin.id, before: page.nextBefore!, limit: 100 });
    expect(next.rows.every((r) => r.id < page.nextBefore!)).toBe(true);
    const total = page.rows.length + next.rows.length;
    expect(total).toBeGreaterThanOrEqual(5);
    const deleted = await pruneRequestLog(a.ctx.storage.db, 30, 1000);
    expect(deleted).toBe(0);
    expect(await pruneRequestLog(a.ctx.storage.db, 30, 1000)).toBe(0);
    // Cap the table at 2 rows: the oldest go.
    expect(await pruneRequestLog(a.ctx.storage.db, 30, 2)).toBe(total - 2);
    const left = await queryRequestLog(a.ctx.storage.db, { limit: 100 });
    expect(left.rows.map((r) => r.id)).toEqual(page.rows.map((r) => r.id));
  });
});
