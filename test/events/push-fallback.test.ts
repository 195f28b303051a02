/**
 * Auto mode chooses push when Odoo is 17+ and the relay has an ingest URL, but that URL may not
 * be reachable from Odoo (hosted Odoo, a firewall). The reconcile poll then finds changes push
 * never announced: the subscription must switch to polling, remove its rules from Odoo, and
 * still deliver every change.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startEventsRig, odoo, until, type EventsRig } from './helpers.js';

let rig: EventsRig;
let receiver: WebhookReceiver;

beforeAll(async () => {
  rig = await startEventsRig({ simVersion: 17, env: { EVENTS_RECONCILE_INTERVAL_MS: '500' } });
  // Nothing listens on port 9 (discard): Odoo's webhook calls fail to connect.
  rig.relay.ctx.config.events.ingestUrl = 'http://127.0.0.1:9';
  await new Promise((r) => setTimeout(r, 1100));
});
afterAll(() => rig.close());
afterEach(async () => {
  await receiver?.close();
});

describe('auto capture when Odoo cannot reach the relay', () => {
  it('falls back to polling, removes the rules and still delivers the change', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, events: ['create'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { subscription } = res.body;
    expect(subscription.captureEffective).toBe('push');
    expect((await odoo(rig, 'base.automation', 'search', [[['name', 'like', subscription.id]]])).length).toBeGreaterThan(0);

    rig.sim.webhookPosts.length = 0;
    const id = await odoo(rig, 'res.partner', 'create', [{ name: 'Unpushed Partner' }]);
    await until(() => rig.sim.webhookPosts.length > 0 && rig.sim.webhookPosts.every((p) => p.status === 'error'), 5_000, 'failed Odoo posts');

    await receiver.waitFor(1, 10_000);
    expect(JSON.parse(receiver.requests[0]!.rawBody.toString())).toMatchObject({ type: 'res.partner.created', record_id: id });

    const after = await until(async () => {
      const r = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}`);
      return r.body.subscription.captureEffective === 'poll' ? r.body.subscription : null;
    }, 10_000, 'switch to poll');
    expect(after).toMatchObject({ captureMode: 'auto', captureNote: expect.stringMatching(/did not push/) });
    expect(await odoo(rig, 'base.automation', 'search', [[['name', 'like', subscription.id]]])).toEqual([]);

    // From now on changes arrive by polling, once each.
    const second = await odoo(rig, 'res.partner', 'create', [{ name: 'Polled Partner' }]);
    await receiver.waitFor(2, 10_000);
    await new Promise((r) => setTimeout(r, 700));
    const ids = receiver.requests.map((r) => JSON.parse(r.rawBody.toString()).record_id);
    expect(ids).toEqual([id, second]);
  });
});
