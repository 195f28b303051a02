/**
 * One holder at a time for a subscription's capture: a poll, or capture set-up and teardown,
 * which create and remove rules in the customer's Odoo. Each race is run step by step (an
 * Odoo call held on a promise the test opens), on SQLite and on PostgreSQL, through a real
 * relay and the Odoo test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres.js';
import { startEventsRig, until, type EventsRig } from './helpers.js';
import { pollSubscription, type PollDeps } from '../../src/events/poller.js';
import type { OdooClient } from '../../src/odoo/index.js';

/** A door a test opens: `reached` resolves when work arrives at it, which then waits for `open()`. */
function door() {
  let arrived!: (args: unknown[]) => void;
  let opened!: () => void;
  return {
    reached: new Promise<unknown[]>((resolve) => (arrived = resolve)),
    open: new Promise<void>((resolve) => (opened = resolve)),
    arrive(args: unknown[]) {
      arrived(args);
    },
    release() {
      opened();
    },
  };
}
type Door = ReturnType<typeof door>;

/** The client, with its first `model.method` call waiting at `at` before it goes to Odoo. */
function holdingAt(client: OdooClient, model: string, method: string, at: Door): OdooClient {
  let passed = false;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'executeKw') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<OdooClient['executeKw']>) => {
        if (!passed && args[0] === model && args[1] === method) {
          passed = true;
          at.arrive(args);
          await at.open;
        }
        return target.executeKw(...args);
      };
    },
  });
}

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await createTestDatabase() })],
])('capture lease on %s', (_name, env) => {
  let rig: EventsRig;

  beforeAll(async () => {
    rig = await startEventsRig({ env: await env() });
    // Polls run by hand here.
    await rig.relay.ctx.events.poller.stop();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  const db = () => rig.relay.ctx.storage.db;
  const lease = (subId: string) => db().selectFrom('subscription_capture').selectAll().where('subscription_id', '=', subId).executeTakeFirstOrThrow();
  const pollDeps = () => (rig.relay.ctx.events as any).pollDeps as PollDeps;

  it('keeps a poll\'s lease while Odoo takes longer than the lease: another instance does not poll meanwhile', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'http://127.0.0.1:9/hook', captureMode: 'poll' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const subId: string = res.body.subscription.id;
    const base = pollDeps();
    // The clock both instances read, moved by the test: no real minutes to wait.
    let clock = Date.now();
    const at = door();
    const slow: PollDeps = { ...base, clock: () => clock, leaseMs: 300, clientFor: async (sub) => holdingAt(await base.clientFor(sub), 'res.partner', 'search_read', at) };
    const first = pollSubscription(slow, subId);
    await at.reached;
    // Odoo has not answered two minutes on (connection timeouts go up to 10 minutes).
    clock += 121_000;
    // A running poll renews its lease at least every third of it; without renewal the second poll gets in below.
    await until(async () => ((await lease(subId)).locked_until ?? 0) > clock, 3_000, 'the running poll to renew its lease').catch(() => undefined);
    const other: PollDeps = { ...base, clock: () => clock };
    expect(await pollSubscription(other, subId, clock)).toBeNull();
    at.release();
    expect(await first).toMatchObject({ more: false });
    expect(await lease(subId)).toMatchObject({ locked_by: null, locked_until: null, last_error: null });
    // Once the first poll is done, the next one runs.
    expect(await pollSubscription(other, subId, clock)).not.toBeNull();
  });

  it('leaves the cursor and the lease alone when its lease was taken over while Odoo answered', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'http://127.0.0.1:9/hook', captureMode: 'poll' });
    const subId: string = res.body.subscription.id;
    const base = pollDeps();
    const at = door();
    const first = pollSubscription({ ...base, clientFor: async (sub) => holdingAt(await base.clientFor(sub), 'res.partner', 'search_read', at) }, subId);
    await at.reached;
    // As if its renewals had failed for a whole lease (the database unreachable) and another instance took over.
    const before = await lease(subId);
    await db().updateTable('subscription_capture').set({ locked_by: 'lease_other', locked_until: Date.now() + 60_000, cursor_write_date: '2001-01-01 00:00:00' }).where('subscription_id', '=', subId).execute();
    at.release();
    await first;
    const after = await lease(subId);
    expect(after).toMatchObject({ locked_by: 'lease_other', cursor_write_date: '2001-01-01 00:00:00', last_poll_at: before.last_poll_at });
    expect(after.locked_until).toBeGreaterThan(Date.now());
  });
});
