/** Poll capture against the Odoo test server: create / write / unlink, filters, and the Odoo call budget. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startEventsRig, odoo, type EventsRig } from './helpers.js';
import { pollSubscription } from '../../src/events/poller.js';
import { OdooClient } from '../../src/odoo/index.js';

let rig: EventsRig;
let receiver: WebhookReceiver;

beforeAll(async () => {
  rig = await startEventsRig();
});
afterAll(() => rig.close());
afterEach(async () => {
  await receiver?.close();
});

const bodies = (secret: string) => receiver.requests.map((r) => new Webhook(secret).verify(r.rawBody.toString(), r.headers as Record<string, string>) as any);

describe('poll capture', () => {
  it('falls back to polling without an ingest URL and reports create, write and unlink', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, fields: ['name', 'email'] });
    expect(res.status).toBe(201);
    const { subscription, secret } = res.body;
    // auto mode without an ingest URL polls, and says why.
    expect(subscription.captureEffective).toBe('poll');
    expect(subscription.captureNote).toMatch(/polling/);

    const id = await odoo(rig, 'res.partner', 'create', [{ name: 'Polled Partner', email: 'p@example.com' }]);
    await receiver.waitFor(1, 10_000);
    expect(bodies(secret)[0]).toMatchObject({ type: 'res.partner.created', record_id: id, data: { id, name: 'Polled Partner', email: 'p@example.com' } });
    expect(Object.keys(bodies(secret)[0].data).sort()).toEqual(['email', 'id', 'name']);

    // A second write in the same second as the create must not be lost: wait out the second.
    await new Promise((r) => setTimeout(r, 1100));
    await odoo(rig, 'res.partner', 'write', [[id], { email: 'new@example.com' }]);
    await receiver.waitFor(2, 10_000);
    expect(bodies(secret)[1]).toMatchObject({ type: 'res.partner.updated', record_id: id, data: { email: 'new@example.com' } });

    await odoo(rig, 'res.partner', 'unlink', [[id]]);
    await receiver.waitFor(3, 10_000);
    // The record is gone and, without changedFields, the relay kept none of its values.
    expect(bodies(secret)[2]).toMatchObject({ type: 'res.partner.deleted', record_id: id });
    expect(bodies(secret)[2].data).toEqual({ id });
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests).toHaveLength(3);
  });

  it('applies the domain and the changed-fields filter', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'res.partner',
      targetUrl: receiver.url,
      captureMode: 'poll',
      events: ['create', 'write'],
      domain: [['city', '=', 'Filterville']],
      changedFields: ['email'],
      fields: ['name', 'email', 'city'],
    });
    const { secret } = res.body;
    const inCity = await odoo(rig, 'res.partner', 'create', [{ name: 'In', city: 'Filterville', email: 'a@x.com' }]);
    await odoo(rig, 'res.partner', 'create', [{ name: 'Out', city: 'Elsewhere' }]);
    await receiver.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 1100));
    await odoo(rig, 'res.partner', 'write', [[inCity], { name: 'In renamed' }]); // not a watched field
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.requests).toHaveLength(1);
    await odoo(rig, 'res.partner', 'write', [[inCity], { email: 'b@x.com' }]);
    await receiver.waitFor(2, 10_000);
    const [created, updated] = bodies(secret);
    expect(created).toMatchObject({ type: 'res.partner.created', record_id: inCity });
    expect(updated).toMatchObject({ type: 'res.partner.updated', record_id: inCity, changed_fields: ['email'], data: { name: 'In renamed', email: 'b@x.com' } });
  });

  it('sends a deletion with the last values of the changedFields, the only values the relay keeps', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', changedFields: ['email'], fields: ['name', 'email'] });
    expect(res.status).toBe(201);
    const { secret } = res.body;
    const id = await odoo(rig, 'res.partner', 'create', [{ name: 'Short-lived', email: 'first@example.com' }]);
    await receiver.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 1100));
    await odoo(rig, 'res.partner', 'write', [[id], { email: 'last@example.com' }]);
    await receiver.waitFor(2, 10_000);
    await odoo(rig, 'res.partner', 'unlink', [[id]]);
    await receiver.waitFor(3, 10_000);
    expect(bodies(secret)[2]).toMatchObject({ type: 'res.partner.deleted', record_id: id });
    // `name` is in `fields` but not watched: its last value was never kept.
    expect(bodies(secret)[2].data).toEqual({ id, email: 'last@example.com' });
  });

  // Seeding and snapshotting 100,000 records takes its time on a busy 2-core machine.
  it('costs at most two Odoo calls per poll on a 100,000-record model with 100 changes', { timeout: 90_000 }, async () => {
    receiver = await startReceiver();
    rig.sim.seedPartners(100_000);
    await new Promise((r) => setTimeout(r, 1100)); // the seeded rows' second is over before the subscription starts
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', fields: ['name'] });
    const subId = res.body.subscription.id as string;
    // Polls by hand from here on, so the count holds only this subscription's calls.
    await rig.relay.ctx.events.poller.stop();
    const ids = (await odoo(rig, 'res.partner', 'search', [[['name', 'like', 'Scale Partner']]], { limit: 100 })) as number[];
    for (const id of ids) await odoo(rig, 'res.partner', 'write', [[id], { name: `Changed ${id}` }]);
    await new Promise((r) => setTimeout(r, 1100));

    const spy = vi.spyOn(OdooClient.prototype, 'executeKw');
    try {
      const deps = (rig.relay.ctx.events as any).pollDeps;
      const withSweep = await pollSubscription(deps, subId);
      expect(withSweep).toMatchObject({ events: 100 });
      // The changed rows in one search_read, the deletion sweep's id list in one search.
      expect(spy.mock.calls.map((c) => `${c[0]}.${c[1]}`)).toEqual(['res.partner.search_read', 'res.partner.search']);
      spy.mockClear();
      // Between sweeps (EVENTS_SWEEP_INTERVAL_MS), a poll is one call.
      await rig.relay.ctx.storage.db.updateTable('subscription_capture').set({ next_sweep_at: Date.now() + 3_600_000 }).where('subscription_id', '=', subId).execute();
      const quiet = await pollSubscription(deps, subId);
      expect(quiet).toMatchObject({ events: 0 });
      expect(spy.mock.calls.map((c) => `${c[0]}.${c[1]}`)).toEqual(['res.partner.search_read']);
    } finally {
      spy.mockRestore();
    }
    await receiver.waitFor(100, 15_000);
  });
});

describe('poll capture with a settle window', () => {
  let settled: EventsRig;
  beforeAll(async () => {
    settled = await startEventsRig({ env: { EVENTS_POLL_SETTLE_SECONDS: '2' } });
  });
  afterAll(() => settled.close());

  it('reports a record created, then written again before any poll read it, as created, also to a create-only subscription', async () => {
    const all = await startReceiver();
    const createOnly = await startReceiver();
    try {
      const q = await odoo(settled, 'res.partner', 'create', [{ name: 'Existing Q' }]);
      await new Promise((r) => setTimeout(r, 3500));
      const secrets: string[] = [];
      for (const [r, events] of [[all, undefined], [createOnly, ['create']]] as const) {
        const res = await settled.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: r.url, captureMode: 'poll', fields: ['name'], ...(events && { events }) });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        secrets.push(res.body.secret);
      }
      await new Promise((r) => setTimeout(r, 1500));
      const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));
      // P created in one second, Q written in the next, P written in the one after: the poll that
      // reads Q's second moves the cursor past P's creation before any poll has seen P.
      await nextSecond();
      const p = await odoo(settled, 'res.partner', 'create', [{ name: 'New P' }]);
      await nextSecond();
      await odoo(settled, 'res.partner', 'write', [[q], { name: 'Existing Q edited' }]);
      await nextSecond();
      await odoo(settled, 'res.partner', 'write', [[p], { name: 'New P edited' }]);

      const kinds = (r: WebhookReceiver, secret: string) =>
        r.requests.map((x) => new Webhook(secret).verify(x.rawBody.toString(), x.headers as Record<string, string>) as any).map((b) => `${b.type} ${b.record_id}`);
      await createOnly.waitFor(1, 15_000);
      expect(kinds(createOnly, secrets[1]!)).toEqual([`res.partner.created ${p}`]);
      await all.waitFor(2, 15_000);
      expect(kinds(all, secrets[0]!).sort()).toEqual([`res.partner.created ${p}`, `res.partner.updated ${q}`].sort());
    } finally {
      await all.close();
      await createOnly.close();
    }
  });
});
