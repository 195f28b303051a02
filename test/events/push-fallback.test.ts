/**
 * Auto mode chooses push when Odoo is 17+ and the relay has an ingest URL, but that URL may not
 * be reachable from Odoo (hosted Odoo, a firewall). The reconcile poll then finds changes push
 * never announced: the subscription must switch to polling, remove its rules from Odoo, and
 * still deliver every change.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startEventsRig, odoo, until, FAST_EVENTS_ENV, type EventsRig } from './helpers.js';

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

describe('auto capture when Odoo reaches the relay', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const effective = async (r: EventsRig['relay'], id: string) =>
    (await r.ctx.storage.db.selectFrom('subscriptions').select('capture_effective').where('id', '=', id).executeTakeFirstOrThrow()).capture_effective;
  /** An auto subscription to partner creates on `rig`, reached by Odoo's posts (so on push); its id. */
  const pushSubscription = async (rig: EventsRig): Promise<string> => {
    rig.relay.ctx.config.events.ingestUrl = rig.relay.url;
    await sleep(1100);
    receiver = await startReceiver();
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, events: ['create'] });
    expect(res.body.subscription.captureEffective).toBe('push');
    return res.body.subscription.id as string;
  };

  it('stays on push when the reconcile poll finds a change made while the subscription was paused', async () => {
    const live = await startEventsRig({ simVersion: 17, env: { EVENTS_RECONCILE_INTERVAL_MS: '300' } });
    try {
      const id = await pushSubscription(live);
      expect((await live.api('PATCH', `/api/v1/subscriptions/${id}`, { active: false })).status).toBe(200);
      live.sim.webhookPosts.length = 0;
      // Odoo posts it and the relay ignores it: the subscription is paused.
      const paused = await odoo(live, 'res.partner', 'create', [{ name: 'Created While Paused' }]);
      await until(() => live.sim.webhookPosts.length >= 13, 5_000, 'the posts of the paused change');
      await sleep(1100);
      expect((await live.api('PATCH', `/api/v1/subscriptions/${id}`, { active: true })).status).toBe(200);

      // The reconcile poll delivers it, and it is no sign that Odoo cannot reach the relay.
      await receiver.waitFor(1, 10_000);
      expect(JSON.parse(receiver.requests[0]!.rawBody.toString())).toMatchObject({ type: 'res.partner.created', record_id: paused });
      await sleep(1000);
      expect(await effective(live.relay, id)).toBe('push');
      expect((await odoo(live, 'base.automation', 'search', [[['name', 'like', id]]])).length).toBeGreaterThan(0);
    } finally {
      await live.close();
    }
  });

  it("stays on push when the change's posts reached the relay but their hint did not become an event (an instance that stopped)", async () => {
    // Hints wait a minute in memory before their record is re-read: to the database and to the
    // reconcile poll this is an instance that took Odoo's posts and was killed before acting.
    const live = await startEventsRig({ simVersion: 17, env: { EVENTS_RECONCILE_INTERVAL_MS: '300', EVENTS_COALESCE_QUIET_MS: '60000' } });
    try {
      const id = await pushSubscription(live);
      live.sim.webhookPosts.length = 0;
      const partner = await odoo(live, 'res.partner', 'create', [{ name: 'Hint Lost With Its Instance' }]);
      await until(() => live.sim.webhookPosts.length > 0 && live.sim.webhookPosts.every((p) => p.status !== 'error'), 5_000, 'posts answered by the relay');
      // The reconcile poll delivers the change, and Odoo did reach the relay: no fallback.
      await receiver.waitFor(1, 10_000);
      expect(JSON.parse(receiver.requests[0]!.rawBody.toString())).toMatchObject({ type: 'res.partner.created', record_id: partner });
      const event = await live.relay.ctx.storage.db.selectFrom('events').select('source').where('subscription_id', '=', id).where('record_id', '=', partner).executeTakeFirstOrThrow();
      expect(event.source).toBe('poll');
      await sleep(1000);
      expect(await effective(live.relay, id)).toBe('push');
      expect((await odoo(live, 'base.automation', 'search', [[['name', 'like', id]]])).length).toBeGreaterThan(0);
    } finally {
      await live.close();
    }
  });

  it('stays on push when the reconcile poll after a restart finds a change made while the relay was down', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-restart-'));
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EVENTS_RECONCILE_INTERVAL_MS: '300' };
    const first = await startEventsRig({ simVersion: 17, env });
    let second: TestRelay | undefined;
    try {
      expect(first.relay.url).toContain(`:${port}`);
      const id = await pushSubscription(first);
      await first.relay.close();

      first.sim.webhookPosts.length = 0;
      // The relay is down: change Odoo directly.
      const whileDown = first.sim.engine.execute(2, 'res.partner', 'create', [{ name: 'Created While Down' }], {}) as number;
      await until(() => first.sim.webhookPosts.length >= 13 && first.sim.webhookPosts.every((p) => p.status === 'error'), 5_000, 'failed posts while down');
      await sleep(1100);

      // The ingest URL from the start: set after start, the restarted relay's first look at the
      // subscription could find none and switch it to polling for that reason (seen under load).
      second = await startTestRelay({ env: { ...FAST_EVENTS_ENV, ...env, EVENTS_INGEST_URL: `http://127.0.0.1:${port}` } });
      await receiver.waitFor(1, 10_000);
      expect(JSON.parse(receiver.requests[0]!.rawBody.toString())).toMatchObject({ type: 'res.partner.created', record_id: whileDown });
      await sleep(1000);
      // Its capture note says why, if it ever switched (this failed once under CI load, unexplained).
      const note = async () => (await second!.ctx.storage.db.selectFrom('subscriptions').select('capture_note').where('id', '=', id).executeTakeFirst())?.capture_note;
      expect(await effective(second, id), String(await note())).toBe('push');

      // Odoo reaches the restarted relay: the next change's posts are taken, and push stays on.
      // (Which of push and the 300 ms reconcile poll records the event first is a race under
      // load, so the event's source is not the proof: the relay's answers to the posts are.)
      first.sim.webhookPosts.length = 0;
      const after = first.sim.engine.execute(2, 'res.partner', 'create', [{ name: 'Created After Restart' }], {}) as number;
      await receiver.waitFor(2, 10_000);
      await until(() => first.sim.webhookPosts.length >= 13 && first.sim.webhookPosts.every((p) => p.status === 200), 5_000, 'posts taken by the restarted relay');
      expect(await second.ctx.storage.db.selectFrom('events').select('id').where('subscription_id', '=', id).where('record_id', '=', after).executeTakeFirst()).toBeDefined();
      expect(await effective(second, id), String(await note())).toBe('push');
    } finally {
      await second?.close();
      await first.sim.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
