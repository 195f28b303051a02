/**
 * A delivery held behind other sends to its receiver can outwait its lease when another
 * subscription on the same receiver has a longer timeout (one n8n host, many workflows). The lease
 * runs out, the delivery goes back to pending and is claimed again; the held copy must then not
 * be sent as well. Found with two relays on one PostgreSQL; one relay shows it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEventsRig, until, type EventsRig } from './helpers.js';
import { recordEvents } from '../../src/events/outbox.js';
import { buildEventPayload } from '../../src/events/payload.js';
import { createTestDatabase } from '../helpers/postgres.js';

const SLOW_MS = 9_000;

describe.each(['sqlite', 'postgres'] as const)('a delivery held for its receiver past its lease, on %s', { timeout: 60_000 }, (database) => {
  let rig: EventsRig;
  let receiver: Server;
  let origin: string;
  let received: { path: string; webhookId: string }[] = [];

  beforeAll(async () => {
    received = [];
    // Two sends at a time per receiver: two slow ones hold it while a fast subscription's delivery waits.
    const onPostgres: Record<string, string> = database === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
    rig = await startEventsRig({ env: { EVENTS_ENDPOINT_CONCURRENCY: '2', ...onPostgres }, noise: 'none' });
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ path: req.url!, webhookId: String(req.headers['webhook-id']) });
        setTimeout(() => res.end('ok'), req.url === '/slow' ? SLOW_MS : 0);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    receiver.close();
    await rig.close();
  });

  async function subscribe(path: string, timeoutMs: number): Promise<string> {
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'res.partner',
      targetUrl: origin + path,
      captureMode: 'poll',
      events: ['create'],
      domain: [['name', '=', 'nobody-matches-this']],
      timeoutMs,
      retries: 0,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.subscription.id;
  }

  async function inject(subscriptionId: string, recordId: number): Promise<void> {
    const id = `evt_held_${subscriptionId}_${recordId}`;
    const payload = buildEventPayload({ id, model: 'res.partner', recordId, event: 'create', occurredAt: new Date(), data: { name: `P${recordId}` } });
    await recordEvents(rig.relay.ctx.storage.db, [
      { id, subscriptionId, model: 'res.partner', recordId, event: 'create', source: 'poll', payload: JSON.stringify(payload), occurredAt: Date.now() },
    ]);
  }

  it('is sent once, under the claim that holds it, not also under the one it lost', async () => {
    const slow = await subscribe('/slow', 20_000);
    // Its lease: 5 s of margin plus twice its 1 s timeout, shorter than the slow sends ahead of it.
    const fast = await subscribe('/fast', 1_000);
    await inject(slow, 1);
    await inject(slow, 2);
    await inject(fast, 3);
    rig.relay.ctx.events.worker.wake();

    await until(() => received.some((r) => r.path === '/fast'), 30_000, 'the fast delivery');
    const delivery = await until(() => rig.relay.ctx.storage.db.selectFrom('deliveries').select(['id', 'status', 'attempts']).where('subscription_id', '=', fast).where('status', '=', 'delivered').executeTakeFirst(), 10_000, 'the fast delivery recorded');
    expect(delivery.attempts).toBe(1);
    // Both slow sends have finished and handed their slots on: a lost claim would have been sent by now.
    await until(() => received.filter((r) => r.path === '/slow').length === 2, 30_000, 'both slow sends');
    await until(async () => (await rig.relay.ctx.storage.db.selectFrom('deliveries').select('id').where('subscription_id', '=', slow).where('status', '=', 'delivered').execute()).length === 2, 30_000, 'the slow sends to finish');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(received.filter((r) => r.path === '/fast').map((r) => r.webhookId)).toEqual([delivery.id]);
    const attempts = await rig.relay.ctx.storage.db.selectFrom('delivery_attempts').select('id').where('delivery_id', '=', delivery.id).execute();
    expect(attempts).toHaveLength(1);
  });
});
