/**
 * A refused subscription update is undone field by field: what it changed goes back, and what
 * changed meanwhile (the delivery worker disabling the subscription) stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventsRig, type EventsRig } from './helpers.js';
import { getSubscriptionRow, restoreSubscriptionSettings } from '../../src/events/subscriptions-store.js';

let rig: EventsRig;
beforeAll(async () => {
  rig = await startEventsRig({ noise: 'none' });
});
afterAll(() => rig?.close());

describe('restoreSubscriptionSettings', () => {
  it('puts back what the update changed and keeps a disable that happened meanwhile', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'https://hooks.example.com/x', captureMode: 'poll', fields: ['name'] });
    expect(res.status).toBe(201);
    const db = rig.relay.ctx.storage.db;
    const before = await getSubscriptionRow(db, res.body.subscription.id);
    // The update as updateSubscription wrote it...
    const after = { ...before, domain: JSON.stringify([['is_company', '=', true]]), retries: 2, updated_at: before.updated_at + 1 };
    await db.updateTable('subscriptions').set({ domain: after.domain, retries: 2, updated_at: after.updated_at }).where('id', '=', before.id).execute();
    // ...then, during the set-up's Odoo calls, the worker disables the subscription (410 Gone).
    await db.updateTable('subscriptions').set({ active: 0, disabled_at: 123, disabled_reason: 'gone (410)' }).where('id', '=', before.id).execute();

    await restoreSubscriptionSettings(db, before, after);
    const now = await getSubscriptionRow(db, before.id);
    expect({ domain: now.domain, retries: now.retries }).toEqual({ domain: before.domain, retries: before.retries });
    expect({ active: now.active, disabled_at: now.disabled_at, disabled_reason: now.disabled_reason }).toEqual({ active: 0, disabled_at: 123, disabled_reason: 'gone (410)' });
    expect(now.updated_at).toBeGreaterThan(after.updated_at);
  });
});
