import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { call, logRows } from './helpers.js';

/** What the REST API stores (idempotency claims, request log rows, rate counters) on PostgreSQL, across two instances. */
describe('REST API on PostgreSQL', () => {
  let sim: OdooSim;
  let a: TestRelay;
  let b: TestRelay;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    sim = await startOdooSim({ version: 19, automationNoise: 'none' });
    // One master key, as instances sharing a database must have, so both decrypt the Odoo secret.
    const env = { MASTER_KEY: crypto.randomBytes(32).toString('base64') };
    a = await startTestRelay({ databaseUrl, env });
    b = await startTestRelay({ databaseUrl, env });
    await a.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sim?.close();
  });

  it('replays an idempotent create on the other instance, logs both calls and shares the rate limit', async () => {
    const { key, id } = await a.createKey({ rateLimit: 3 });
    const headers = { authorization: `Bearer ${key}`, 'idempotency-key': crypto.randomUUID() };
    const first = await call(a, 'POST', '/api/v1/models/res.partner', headers, { name: 'PG Customer' });
    expect(first.status).toBe(201);
    const again = await call(b, 'POST', '/api/v1/models/res.partner', headers, { name: 'PG Customer' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const third = await call(b, 'GET', `/api/v1/models/res.partner/${first.body.data.id}`, { authorization: `Bearer ${key}` });
    expect(third.status).toBe(200);
    expect(third.headers['x-ratelimit-remaining']).toBe('0');
    expect((await call(a, 'GET', '/api/v1/models/res.partner/9', { authorization: `Bearer ${key}` })).status).toBe(429);

    await b.ctx.requestLog.flush();
    const rows = await logRows(a, id);
    expect(rows.map((r) => `${r.action} ${r.status}`).sort()).toEqual(['rest.create 201', 'rest.create 201', 'rest.get 200', 'rest.get 429']);
  });
});
