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

describe('a slow receiver and the worker slots', () => {
  it('leaves slots for another receiver while a slow one has a backlog, also with an endpoint limit of half the slots', async () => {
    const { startReceiver } = await import('../helpers/webhook-receiver.js');
    const { recordEvents } = await import('../../src/events/outbox.js');
    const { buildEventPayload } = await import('../../src/events/payload.js');
    const slow = await startReceiver('hang');
    const fast = await startReceiver();
    const small = await startEventsRig({ env: { EVENTS_WORKER_CONCURRENCY: '4', EVENTS_ENDPOINT_CONCURRENCY: '2' }, noise: 'none' });
    try {
      const subscribe = async (url: string, timeoutMs: number) =>
        (await small.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: url, captureMode: 'poll', timeoutMs, retries: 0, domain: [['name', '=', 'nobody']] })).body.subscription.id as string;
      const slowSub = await subscribe(slow.url, 3_000);
      const fastSub = await subscribe(fast.url, 5_000);
      const event = (subscriptionId: string, recordId: number) => {
        const id = `evt_slots_${subscriptionId}_${recordId}`;
        const payload = JSON.stringify(buildEventPayload({ id, model: 'res.partner', recordId, event: 'create', occurredAt: new Date(), data: {} }));
        return { id, subscriptionId, model: 'res.partner', recordId, event: 'create' as const, source: 'poll' as const, payload, occurredAt: Date.now() };
      };
      const db = small.relay.ctx.storage.db;
      await recordEvents(db, Array.from({ length: 20 }, (_, i) => event(slowSub, i + 1)));
      small.relay.ctx.events.worker.wake();
      await slow.waitFor(2, 5_000);
      await recordEvents(db, [event(fastSub, 1)]);
      small.relay.ctx.events.worker.wake();
      await fast.waitFor(1, 10_000);
      // Served in the slow receiver's first round: its first two sends had not timed out yet.
      expect(slow.requests).toHaveLength(2);
    } finally {
      await small.close();
      await slow.close();
      await fast.close();
    }
  });
});
