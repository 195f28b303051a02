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

    // The other instance polls the subscription at once; its lease is its own.
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
