/**
 * Shutdown with a poll stuck in Odoo: the relay gives up the subscription's capture lease, so
 * another instance on the same PostgreSQL database polls and changes it at once, not after the
 * lease runs out; and the stuck poll, answered later, writes nothing.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { pollSubscription, type PollDeps } from '../../src/events/poller.js';
import { startEventsRig, door, holdingAt, FAST_EVENTS_ENV, type EventsRig } from './helpers.js';

describe('shutdown with a poll stuck in Odoo, two instances on PostgreSQL', () => {
  let first: EventsRig;
  let second: TestRelay;
  beforeAll(async () => {
    // Instances of one deployment share the database and the master key.
    const env = { DATABASE_URL: await createTestDatabase(), MASTER_KEY: crypto.randomBytes(32).toString('base64'), SHUTDOWN_GRACE_MS: '1000' };
    first = await startEventsRig({ env });
    second = await startTestRelay({ env: { ...FAST_EVENTS_ENV, ...env } });
    // Polls run by hand here.
    await first.relay.ctx.events.poller.stop();
    await second.ctx.events.poller.stop();
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('gives the lease up at shutdown; the stuck poll writes nothing when Odoo answers', async () => {
    const res = await first.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'http://127.0.0.1:9/hook', captureMode: 'poll' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const subId: string = res.body.subscription.id;
    const capture = () => second.ctx.storage.db.selectFrom('subscription_capture').selectAll().where('subscription_id', '=', subId).executeTakeFirstOrThrow();
    const before = await capture();

    const base = (first.relay.ctx.events as any).pollDeps as PollDeps;
    const at = door();
    const stuck = pollSubscription({ ...base, clientFor: async (sub) => holdingAt(await base.clientFor(sub), 'res.partner', 'search_read', at) }, subId);
    await at.reached;
    expect((await capture()).locked_by).not.toBeNull();

    // The first instance shuts down while Odoo has not answered (half of the 1 s grace for polls).
    await first.relay.ctx.events.stop();
    expect(await capture()).toMatchObject({ locked_by: null, locked_until: null });

    // The other instance polls the subscription at once; its lease is its own. (The deletion
    // sweep, due 200 ms after set-up here, is put off: on a slow run it made this poll's call count two.)
    await second.ctx.storage.db.updateTable('subscription_capture').set({ next_sweep_at: Date.now() + 3_600_000 }).where('subscription_id', '=', subId).execute();
    const secondDeps = (second.ctx.events as any).pollDeps as PollDeps;
    const result = await pollSubscription(secondDeps, subId);
    expect(result, JSON.stringify(await capture())).toMatchObject({ odooCalls: 1 });
    const polled = await capture();
    expect(polled.last_poll_at).not.toBe(before.last_poll_at);

    // Odoo finally answers the stuck poll: it lost its lease, so the cursor stays the other's.
    at.release();
    await stuck;
    expect(await capture()).toMatchObject({ last_poll_at: polled.last_poll_at, cursor_write_date: polled.cursor_write_date, locked_by: null });
  });
});

describe('shutdown with a delivery stuck at a receiver', () => {
  it('ends within SHUTDOWN_GRACE_MS, not the subscription timeout; the delivery keeps its claim, to go again after a restart', async () => {
    const { startReceiver } = await import('../helpers/webhook-receiver.js');
    const receiver = await startReceiver('hang');
    const rig = await startEventsRig({ env: { SHUTDOWN_GRACE_MS: '1000' } });
    try {
      const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', timeoutMs: 20_000, events: ['create'], domain: [['name', '=', 'nobody']] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const sent = await rig.api('POST', `/api/v1/subscriptions/${res.body.subscription.id}/test`);
      await receiver.waitFor(1, 10_000);
      const started = Date.now();
      await rig.relay.ctx.events.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
      // Cut off, not failed: it keeps its claim, for the lease to give it back.
      const delivery = await rig.relay.ctx.storage.db.selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', sent.body.deliveryId).executeTakeFirstOrThrow();
      expect(delivery).toEqual({ status: 'in_flight', attempts: 0 });
    } finally {
      await rig.close();
      await receiver.close();
    }
  });
});
