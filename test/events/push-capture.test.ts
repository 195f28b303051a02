/**
 * Push capture against the Odoo test server posting like Odoo 17+ (13 identical posts per
 * create, posts for child contacts on a company write): rules created and removed by the
 * relay, one event per real change (record, write_date), re-read through the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { httpPost } from '../helpers/relay.js';
import { startEventsRig, odoo, until, type EventsRig } from './helpers.js';
import { pollSubscription } from '../../src/events/poller.js';
import { sha256Hex } from '../../src/ids/random.js';

let rig: EventsRig;
let receiver: WebhookReceiver;

beforeAll(async () => {
  rig = await startEventsRig({ simVersion: 17, env: { EVENTS_RECONCILE_INTERVAL_MS: '600000' } });
  // The relay's URL is known once it listens; Odoo posts to it.
  rig.relay.ctx.config.events.ingestUrl = rig.relay.url;
  // Demo data is written when the sim starts; changes from here on are the test's.
  await new Promise((r) => setTimeout(r, 1100));
});
afterAll(() => rig.close());
afterEach(async () => {
  await receiver?.close();
});

const verified = (secret: string) => receiver.requests.map((r) => new Webhook(secret).verify(r.rawBody.toString(), r.headers as Record<string, string>) as any);

describe('push capture', () => {
  it('creates rules in Odoo, turns 13 duplicate posts into one event, and removes the rules with the subscription', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, fields: ['name', 'email', 'parent_id'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { subscription, secret } = res.body;
    expect(subscription.captureEffective).toBe('push');

    const rules = await odoo(rig, 'base.automation', 'search_read', [[['name', 'like', subscription.id]]], { fields: ['trigger', 'action_server_ids'] });
    expect(rules.map((r: any) => r.trigger).sort()).toEqual(['on_create_or_write', 'on_unlink']);
    const actions = await odoo(rig, 'ir.actions.server', 'search_read', [[['name', 'like', subscription.id]]], { fields: ['state', 'webhook_url'] });
    expect(actions).toHaveLength(2);
    for (const a of actions) {
      expect(a.state).toBe('webhook');
      expect(a.webhook_url).toMatch(new RegExp(`^${rig.relay.url}/api/events/ingest/ing_[A-Za-z0-9_-]{32}$`));
    }

    rig.sim.webhookPosts.length = 0;
    const id = await odoo(rig, 'res.partner', 'create', [{ name: 'Pushed Partner', email: 'push@example.com' }]);
    await until(() => rig.sim.webhookPosts.length >= 13, 5_000, '13 posts');
    await receiver.waitFor(1, 5_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(rig.sim.webhookPosts.every((p) => p.status === 200)).toBe(true);
    expect(receiver.requests).toHaveLength(1);
    expect(verified(secret)[0]).toMatchObject({ type: 'res.partner.created', record_id: id, data: { id, name: 'Pushed Partner', email: 'push@example.com' } });
    const events = await rig.relay.ctx.storage.db.selectFrom('events').select(['source']).where('subscription_id', '=', subscription.id).execute();
    expect(events.map((e) => e.source)).toEqual(['push']);

    // Re-read, not trusted: the payload has what Odoo says now, after the whole burst.
    await new Promise((r) => setTimeout(r, 1100));
    await odoo(rig, 'res.partner', 'write', [[id], { email: 'second@example.com' }]);
    await receiver.waitFor(2, 5_000);
    expect(verified(secret)[1]).toMatchObject({ type: 'res.partner.updated', record_id: id, data: { email: 'second@example.com' } });

    await odoo(rig, 'res.partner', 'unlink', [[id]]);
    await receiver.waitFor(3, 5_000);
    expect(verified(secret)[2]).toMatchObject({ type: 'res.partner.deleted', record_id: id });

    expect((await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`)).status).toBe(200);
    expect(await odoo(rig, 'base.automation', 'search', [[['name', 'like', subscription.id]]])).toEqual([]);
    expect(await odoo(rig, 'ir.actions.server', 'search', [[['name', 'like', subscription.id]]])).toEqual([]);
  });

  it('reports no deletion for a post naming a live record outside the domain, or a record it never announced', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, domain: [['city', '=', 'Pushville']], fields: ['name'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { subscription } = res.body;
    const [unlinkRule] = await odoo(rig, 'base.automation', 'search_read', [[['name', 'like', subscription.id], ['trigger', '=', 'on_unlink']]], { fields: ['action_server_ids'] });
    const [action] = await odoo(rig, 'ir.actions.server', 'read', [unlinkRule.action_server_ids, ['webhook_url']]);
    const outside = await odoo(rig, 'res.partner', 'create', [{ name: 'Lives elsewhere', city: 'Elsewhere' }]);
    for (const id of [outside, 999_999]) {
      const posted = await fetch(action.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _model: 'res.partner', _id: id }) });
      expect(posted.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 800));
    const deletions = await rig.relay.ctx.storage.db.selectFrom('events').select('record_id').where('subscription_id', '=', subscription.id).where('event', '=', 'unlink').execute();
    expect(deletions).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`);
  });

  it('reports a company write once per record, however many posts Odoo sends for it', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, events: ['write'], fields: ['name', 'phone', 'parent_id'] });
    const { subscription, secret } = res.body;
    const [child] = await odoo(rig, 'res.partner', 'search_read', [[['parent_id', '!=', false]]], { fields: ['parent_id'], limit: 1 });
    const companyId = child.parent_id[0];
    const childIds = (await odoo(rig, 'res.partner', 'search', [[['parent_id', '=', companyId]]])) as number[];
    rig.sim.webhookPosts.length = 0;
    await odoo(rig, 'res.partner', 'write', [[companyId], { phone: '+1 555 0100' }]);
    // Two posts for the company plus one per contact (Odoo syncs the company down to its
    // contacts, so their write_date moves too: each is a real change of that record).
    await until(() => rig.sim.webhookPosts.length >= 2 + childIds.length, 5_000, 'company and child posts');
    await receiver.waitFor(1, 5_000);
    await new Promise((r) => setTimeout(r, 500));
    const events = verified(secret);
    const perRecord = new Map<number, number>();
    for (const e of events) perRecord.set(e.record_id, (perRecord.get(e.record_id) ?? 0) + 1);
    expect(perRecord.get(companyId)).toBe(1);
    for (const [id, n] of perRecord) {
      expect(n, `record ${id}`).toBe(1);
      expect([companyId, ...childIds]).toContain(id);
    }
    expect(events.find((e) => e.record_id === companyId)).toMatchObject({ type: 'res.partner.updated', data: { phone: '+1 555 0100' } });
    await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`);
  });

  it('reports a write in the same second as the create, and the reconcile poll adds nothing', async () => {
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, fields: ['name', 'email'] });
    const { subscription, secret } = res.body;
    const db = rig.relay.ctx.storage.db;
    const recorded = async () => (await db.selectFrom('events').select('id').where('subscription_id', '=', subscription.id).execute()).length;
    let id = 0;
    for (let attempt = 0; ; attempt++) {
      // Early in a second, so that the create, its event and the write all fit in it.
      await until(() => Date.now() % 1000 < 100, 2_000, 'the start of a second');
      const before = await recorded();
      id = await odoo(rig, 'res.partner', 'create', [{ name: `Same Second ${attempt}` }]);
      await until(async () => (await recorded()) > before, 2_000, 'the create event');
      await odoo(rig, 'res.partner', 'write', [[id], { email: `same-second-${attempt}@example.com` }]);
      const [row] = await odoo(rig, 'res.partner', 'read', [[id]], { fields: ['create_date', 'write_date'] });
      if (row.create_date === row.write_date) break;
      if (attempt === 3) throw new Error('could not fit a create and a write in one second');
      receiver.requests.length = 0;
    }
    await until(() => verified(secret).filter((e) => e.record_id === id).length >= 2, 5_000, 'the update');
    // The reconcile poll reads the settled second and finds nothing new.
    await new Promise((r) => setTimeout(r, 1100));
    const reconcile = await pollSubscription((rig.relay.ctx.events as any).pollDeps, subscription.id);
    expect(reconcile).toMatchObject({ events: 0 });
    await new Promise((r) => setTimeout(r, 300));
    const mine = verified(secret).filter((e) => e.record_id === id);
    expect(mine.map((e) => [e.type, e.data.email])).toEqual([
      ['res.partner.created', false],
      ['res.partner.updated', expect.stringMatching(/^same-second-\d@example.com$/)],
    ]);
    expect(mine[0].timestamp).toBe(mine[1].timestamp);
    expect(mine[0].id).not.toBe(mine[1].id);
    await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`);
  });

  it('answers Odoo at once, and refuses unknown tokens', async () => {
    const unknown = await httpPost(`${rig.relay.url}/api/events/ingest/ing_${'A'.repeat(32)}`, { _model: 'res.partner', _id: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_ingest_token');
  });

  it('takes a token recorded after it was first refused: another instance may have just set its rule up', async () => {
    // Odoo's rule exists, and posts, before the instance that set it up commits its token.
    receiver = await startReceiver();
    const { subscription } = (await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll' })).body;
    const token = `ing_${'B'.repeat(32)}`;
    const post = () => httpPost(`${rig.relay.url}/api/events/ingest/${token}`, { _model: 'res.partner', _id: 1 });
    expect((await post()).status).toBe(404);
    await rig.relay.ctx.storage.db.insertInto('ingest_tokens').values({ token_hash: sha256Hex(token), subscription_id: subscription.id, trigger: 'change', created_at: Date.now() }).execute();
    expect((await post()).status).toBe(200);
    await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`);
  });

  it('refuses explicit push on an Odoo without webhook actions (16) and polls in auto mode', async () => {
    receiver = await startReceiver();
    const old = await startEventsRig({ simVersion: 16 as never });
    try {
      old.relay.ctx.config.events.ingestUrl = old.relay.url;
      const push = await old.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'push' });
      expect(push.status).toBe(422);
      expect(push.body.code).toBe('push_capture_unavailable');
      const auto = await old.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url });
      expect(auto.body.subscription).toMatchObject({ captureEffective: 'poll', captureNote: expect.stringMatching(/17\+/) });
      expect((await old.api('GET', '/api/v1/subscriptions')).body.subscriptions).toHaveLength(1);
    } finally {
      await old.close();
    }
  });
});
