/**
 * Two relay instances on one PostgreSQL database share a backlog: claims use
 * FOR UPDATE SKIP LOCKED, so each delivery is sent by exactly one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { FAST_EVENTS_ENV } from './helpers.js';
import { recordEvents } from '../../src/events/outbox.js';
import { buildEventPayload } from '../../src/events/payload.js';
import crypto from 'node:crypto';

const COUNT = Number(process.env.PG_SHARE_COUNT ?? 2000);

let a: TestRelay;
let b: TestRelay;
let sim: OdooSim;
let receiver: WebhookReceiver;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  sim = await startOdooSim();
  receiver = await startReceiver();
  // Small claim batches so both instances get a share of the backlog.
  // One master key for both instances, as in a real deployment (secrets are sealed with it).
  const masterKey = crypto.randomBytes(32).toString('base64');
  const env = { ...FAST_EVENTS_ENV, DATABASE_URL: databaseUrl, MASTER_KEY: masterKey, EVENTS_WORKER_CONCURRENCY: '16', EVENTS_ENDPOINT_CONCURRENCY: '16' };
  a = await startTestRelay({ env });
  b = await startTestRelay({ env });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await receiver?.close();
  await sim?.close();
});

describe('two instances on one PostgreSQL', () => {
  it(`deliver a ${COUNT}-event backlog with no delivery sent twice`, async () => {
    await a.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const { key } = await a.createKey({ scopes: ['subscriptions'] });
    const res = await fetch(`${a.url}/api/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'], domain: [['id', '=', 0]] }),
    });
    expect(res.status).toBe(201);
    const subId = ((await res.json()) as any).subscription.id as string;
    // Both workers idle-poll the same table; put the whole backlog in at once.
    const events = Array.from({ length: COUNT }, (_, i) => {
      const id = `evt_pg_${i}`;
      const payload = buildEventPayload({ id, model: 'res.partner', recordId: i + 1, event: 'create', occurredAt: new Date(), data: { name: `P${i}` } });
      return { id, subscriptionId: subId, model: 'res.partner', recordId: i + 1, event: 'create' as const, source: 'poll' as const, payload: JSON.stringify(payload), occurredAt: Date.now() };
    });
    await recordEvents(a.ctx.storage.db, events);
    a.ctx.events.worker.wake();
    b.ctx.events.worker.wake();
    await receiver.waitFor(COUNT, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const ids = receiver.requests.map((r) => String(r.headers['webhook-id']));
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
    expect(a.ctx.events.worker.delivered).toBeGreaterThan(0);
    expect(b.ctx.events.worker.delivered).toBeGreaterThan(0);
    expect(a.ctx.events.worker.delivered + b.ctx.events.worker.delivered).toBe(COUNT);
    const attempts = await a.ctx.storage.db.selectFrom('delivery_attempts').select(['worker']).execute();
    expect(attempts).toHaveLength(COUNT);
    expect(new Set(attempts.map((x) => x.worker)).size).toBe(2);
  });
});
