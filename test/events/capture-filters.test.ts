/**
 * The subscription's domain and changed-fields filter against the Odoo test server, on both
 * capture paths: which writes are events, and how they are labelled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startEventsRig, odoo, type EventsRig } from './helpers.js';

let rig: EventsRig;
let receiver: WebhookReceiver;

beforeAll(async () => {
  rig = await startEventsRig({ simVersion: 17 });
  rig.relay.ctx.config.events.ingestUrl = rig.relay.url;
  // Demo data is written when the sim starts; changes from here on are the test's.
  await new Promise((r) => setTimeout(r, 1100));
});
afterAll(() => rig.close());
afterEach(async () => {
  await receiver?.close();
});

const received = () => receiver.requests.map((r) => JSON.parse(r.rawBody.toString()));

describe('a write subscription with a domain', () => {
  it.each(['poll', 'push'] as const)('reports the write that brings a record into the domain (%s)', async (mode) => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'sale.order',
      targetUrl: receiver.url,
      events: ['write'],
      changedFields: ['state'],
      domain: [['state', '=', 'sale']],
      fields: ['name', 'state'],
      captureMode: mode,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.subscription.captureEffective).toBe(mode);
    const [order] = (await odoo(rig, 'sale.order', 'search', [[['state', '=', 'sent']]], { limit: 1 })) as number[];
    await odoo(rig, 'sale.order', 'action_confirm', [[order]]);
    await receiver.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(received()).toHaveLength(1);
    expect(received()[0]).toMatchObject({ type: 'sale.order.updated', event: 'write', record_id: order, changed_fields: ['state'], data: { state: 'sale' } });
    await rig.api('DELETE', `/api/v1/subscriptions/${res.body.subscription.id}`);
  });

  it('labels a record entering the domain as updated, not created, when both are subscribed (poll)', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'sale.order',
      targetUrl: receiver.url,
      events: ['create', 'write'],
      domain: [['state', '=', 'sale']],
      fields: ['name', 'state'],
      captureMode: 'poll',
    });
    const [order] = (await odoo(rig, 'sale.order', 'search', [[['state', '=', 'sent']]], { limit: 1 })) as number[];
    await odoo(rig, 'sale.order', 'action_confirm', [[order]]);
    await receiver.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(received().map((e) => [e.type, e.record_id])).toEqual([['sale.order.updated', order]]);
    await rig.api('DELETE', `/api/v1/subscriptions/${res.body.subscription.id}`);
  });
});

describe('the changed-fields filter', () => {
  it('ignores the first write to an existing record that touches no watched field (poll)', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'res.partner',
      targetUrl: receiver.url,
      events: ['write'],
      changedFields: ['email'],
      fields: ['name', 'email', 'phone'],
      captureMode: 'poll',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const contacts = (await odoo(rig, 'res.partner', 'search', [[['parent_id', '=', 10]]])) as number[];
    expect(contacts.length).toBeGreaterThan(0);
    // A company write also moves its contacts' write_date: none of them is an email change.
    await odoo(rig, 'res.partner', 'write', [[10], { phone: '+1 555 0199' }]);
    await new Promise((r) => setTimeout(r, 1800));
    expect(received()).toEqual([]);

    await odoo(rig, 'res.partner', 'write', [[10], { email: 'watched@example.com' }]);
    await receiver.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(received()).toHaveLength(1);
    expect(received()[0]).toMatchObject({ type: 'res.partner.updated', record_id: 10, changed_fields: ['email'], data: { email: 'watched@example.com', phone: '+1 555 0199' } });
    await rig.api('DELETE', `/api/v1/subscriptions/${res.body.subscription.id}`);
  });
});
