/**
 * Delivery end to end: subscriptions over the REST API, the outbox and worker against a real
 * loopback receiver, signatures checked with the `standardwebhooks` package as a receiver would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startEventsRig, until, type EventsRig } from './helpers.js';
import { pruneFinishedEvents, recordEvents } from '../../src/events/outbox.js';
import { completeAttempts, type AttemptRecord } from '../../src/events/delivery-attempts.js';
import { replayDeliveries } from '../../src/events/delivery-log.js';
import { buildEventPayload } from '../../src/events/payload.js';
import { fromXml } from '../helpers/xml-payload.js';
import { createTestDatabase } from '../helpers/postgres.js';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type KyselyPlugin, type QueryId } from 'kysely';
import type { Database } from '../../src/storage/schema.js';
import { SecretBox } from '../../src/secrets/secret-box.js';

let rig: EventsRig;
let receiver: WebhookReceiver;

// DELIVERY_TEST_DATABASE=postgres runs the same file against PostgreSQL (delivery-postgres.test.ts).
const onPostgres = process.env.DELIVERY_TEST_DATABASE === 'postgres';

beforeAll(async () => {
  rig = await startEventsRig(onPostgres ? { env: { DATABASE_URL: await createTestDatabase() } } : {});
});
afterAll(() => rig.close());
afterEach(async () => {
  await receiver?.close();
});

async function subscribe(extra: Record<string, unknown> = {}) {
  const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'], domain: [['name', '=', 'nobody-matches-this']], ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { subscription: { id: string }; secret: string };
}

/** Puts events straight into the outbox, as capture would. */
async function inject(subscriptionId: string, count: number, from = 1): Promise<string[]> {
  const ids: string[] = [];
  const events = Array.from({ length: count }, (_, i) => {
    const id = `evt_test_${subscriptionId}_${from + i}`;
    ids.push(id);
    const payload = buildEventPayload({ id, model: 'res.partner', recordId: from + i, event: 'create', occurredAt: new Date(), data: { name: `P${from + i}`, email: false } });
    return { id, subscriptionId, model: 'res.partner', recordId: from + i, event: 'create' as const, source: 'poll' as const, payload: JSON.stringify(payload), occurredAt: Date.now() };
  });
  await recordEvents(rig.relay.ctx.storage.db, events);
  rig.relay.ctx.events.worker.wake();
  return ids;
}

const db = () => rig.relay.ctx.storage.db;

/**
 * A second handle on the relay's database, as another process would hold: its own SQLite
 * connection to the same file (the relay's one connection may be busy), or the same
 * PostgreSQL pool (a pool hands out another connection).
 */
function anotherConnection(): { db: Kysely<Database>; close(): Promise<void> } {
  const { sqlite } = rig.relay.ctx.storage;
  if (!sqlite) return { db: db(), close: async () => undefined };
  const handle = new SQLite(sqlite.name);
  handle.pragma('busy_timeout = 5000');
  const other = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  return { db: other, close: () => other.destroy() };
}

/** A plugin that runs `then` once the first SELECT has its rows, before its caller gets them. */
function afterFirstSelect(then: () => Promise<void>): KyselyPlugin {
  let first: QueryId | undefined;
  return {
    transformQuery({ node, queryId }) {
      if (!first && node.kind === 'SelectQueryNode') first = queryId;
      return node;
    },
    async transformResult({ result, queryId }) {
      if (queryId === first) await then();
      return result;
    },
  };
}

describe('subscriptions API', () => {
  it('runs on the intended database', () => {
    expect(rig.relay.ctx.storage.dialect).toBe(onPostgres ? 'postgres' : 'sqlite');
  });

  it('requires the subscriptions scope', async () => {
    receiver = await startReceiver();
    const { key } = await rig.relay.createKey({ scopes: ['webhook'] });
    const res = await rig.api('GET', '/api/v1/subscriptions', undefined, key);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden_scope');
    expect((await rig.api('GET', '/api/v1/subscriptions', undefined, 'sk_live_nope')).status).toBe(401);
  });

  it('keeps the format of the first attempt for every retry and replay of a delivery, and uses a new format for new deliveries', async () => {
    receiver = await startReceiver('fail500');
    const { subscription } = await subscribe({ retries: 5 });
    const id = subscription.id;
    const first = await rig.api('POST', `/api/v1/subscriptions/${id}/test`);
    const [failed] = await receiver.waitFor(1);
    expect(failed!.headers['content-type']).toMatch(/^application\/json/);
    // The format changes while the delivery waits for its retry (paused, so none slips out meanwhile).
    expect((await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { active: false, format: 'xml' })).status).toBe(200);
    receiver.setMode('ok');
    const before = receiver.requests.length;
    await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { active: true });
    await receiver.waitFor(before + 1);
    const sameId = receiver.requests.filter((r) => r.headers['webhook-id'] === first.body.deliveryId);
    expect(sameId.length).toBeGreaterThanOrEqual(2);
    for (const r of sameId) {
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.rawBody.equals(failed!.rawBody)).toBe(true);
    }
    // A replay of it too; a new delivery goes out in the new format.
    await until(async () => (await db().selectFrom('deliveries').select('status').where('id', '=', first.body.deliveryId).executeTakeFirst())?.status === 'delivered');
    await rig.api('POST', `/api/v1/subscriptions/${id}/replay`, { deliveryIds: [first.body.deliveryId] });
    const second = await rig.api('POST', `/api/v1/subscriptions/${id}/test`);
    await until(() => receiver.requests.some((r) => r.headers['webhook-id'] === second.body.deliveryId) && receiver.requests.filter((r) => r.headers['webhook-id'] === first.body.deliveryId).length > sameId.length);
    const replayed = receiver.requests.filter((r) => r.headers['webhook-id'] === first.body.deliveryId).at(-1)!;
    expect(replayed.headers['content-type']).toMatch(/^application\/json/);
    const fresh = receiver.requests.find((r) => r.headers['webhook-id'] === second.body.deliveryId)!;
    expect(fresh.headers['content-type']).toMatch(/^application\/xml/);
  });

  it('sends saved custom headers only to the origin they were saved for', async () => {
    receiver = await startReceiver();
    const other = await startReceiver();
    try {
      const { subscription } = await subscribe({ headers: { authorization: 'Bearer receiver-token' } });
      const id = subscription.id;
      // Another origin (another port) without the headers: refused, and nothing changed.
      const moved = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { targetUrl: other.url });
      expect(moved.status).toBe(400);
      expect(moved.body).toMatchObject({ code: 'invalid_request', details: { field: 'headers' } });
      expect(moved.body.error).toContain(`only sent to ${new URL(receiver.url).origin}`);
      expect((await rig.api('GET', `/api/v1/subscriptions/${id}`)).body.subscription).toMatchObject({ targetUrl: receiver.url, headerNames: ['authorization'] });
      // The same origin keeps them.
      const samePlace = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { targetUrl: `${receiver.url}/v2` });
      expect(samePlace.body.subscription).toMatchObject({ targetUrl: `${receiver.url}/v2`, headerNames: ['authorization'] });
      // Saying them again (or null) moves the subscription; the new receiver gets only what was said.
      const dropped = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { targetUrl: other.url, headers: null });
      expect(dropped.body.subscription).toMatchObject({ targetUrl: other.url, headerNames: [] });
      await rig.api('POST', `/api/v1/subscriptions/${id}/test`);
      const [got] = await other.waitFor(1);
      expect(got!.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('creates, shows once, lists, patches and deletes; refuses private targets and bad input', async () => {
    receiver = await startReceiver();
    const created = await subscribe({ headers: { authorization: 'Bearer receiver-token' }, format: 'xml' });
    expect(created.secret).toMatch(/^whsec_/);
    const id = created.subscription.id;
    const got = await rig.api('GET', `/api/v1/subscriptions/${id}`);
    expect(got.body.subscription).toMatchObject({ id, model: 'res.partner', format: 'xml', timeoutMs: 5000, retries: 5, headerNames: ['authorization'], active: true, captureEffective: 'poll' });
    expect(JSON.stringify(got.body)).not.toContain('whsec_');
    expect(JSON.stringify(got.body)).not.toContain('receiver-token');
    const listed = await rig.api('GET', '/api/v1/subscriptions');
    expect(listed.body.subscriptions.map((s: any) => s.id)).toContain(id);
    // Named after the model and where it goes, path included and query left out (it may hold a token).
    const named = await subscribe({ targetUrl: `${new URL(receiver.url).origin}/crm/hook?token=secret-token` });
    expect(named.subscription).toMatchObject({ name: `res.partner → ${new URL(receiver.url).host}/crm/hook` });
    const patched = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { timeoutMs: 2000, format: 'json' });
    expect(patched.body.subscription).toMatchObject({ timeoutMs: 2000, format: 'json' });

    const noTarget = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: '', captureMode: 'poll' });
    expect(noTarget.body.details.fields).toEqual([{ field: 'targetUrl', problem: 'Target URL is required' }]);
    const privateTarget = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'http://10.0.0.1/hook', captureMode: 'poll' });
    expect(privateTarget.status).toBe(422);
    expect(privateTarget.body.code).toBe('target_not_allowed');
    const metadata = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { targetUrl: 'http://169.254.169.254/latest' });
    expect(metadata.body.code).toBe('target_not_allowed');
    const badEvents = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, events: ['explode'] });
    expect(badEvents.status).toBe(400);
    const reserved = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, headers: { 'webhook-id': 'x' } });
    expect(reserved.status).toBe(400);

    expect((await rig.api('DELETE', `/api/v1/subscriptions/${id}`)).status).toBe(200);
    expect((await rig.api('GET', `/api/v1/subscriptions/${id}`)).status).toBe(404);
  });

  it('makes a key with HMAC sign every call, those without a body included', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    const { key, hmacSecret } = await rig.relay.createKey({ scopes: ['subscriptions'], hmac: true });
    const send = async (method: 'GET' | 'POST' | 'DELETE', path: string, signature?: string) => {
      const res = await request(rig.relay.url + path, { method, headers: { authorization: `Bearer ${key}`, ...(signature ? { 'x-hmac-signature': signature } : {}) } });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    };
    const base = `/api/v1/subscriptions/${subscription.id}`;
    const calls = [
      ['GET', '/api/v1/subscriptions'],
      ['GET', base],
      ['GET', `${base}/deliveries`],
      ['POST', `${base}/rotate-secret`],
      ['POST', `${base}/test`],
      ['DELETE', base],
    ] as const;
    for (const [method, path] of calls) {
      const refused = await send(method, path);
      expect(refused.status, `${method} ${path}`).toBe(401);
      expect(refused.body).toMatchObject({ success: false, code: 'invalid_signature' });
    }
    // Nothing was done: the secret is the one given at creation, the subscription is still there.
    expect((await rig.api('GET', base)).body.subscription.id).toBe(subscription.id);
    // Each signs its own request line (and its empty body): one call's signature does not serve another.
    const sign = (method: string, path: string) => crypto.createHmac('sha256', hmacSecret!).update(`${method} ${path}\n`).digest('hex');
    expect((await send('DELETE', base, sign('GET', base))).body).toMatchObject({ code: 'invalid_signature', details: { reason: 'mismatch' } });
    expect((await send('GET', base, crypto.createHmac('sha256', hmacSecret!).update('').digest('hex'))).status).toBe(401);
    for (const [method, path] of calls) expect((await send(method, path, sign(method, path))).status, `${method} ${path}`).toBeLessThan(300);
  });

  it("holds a key to its model allow-list: it neither subscribes to other models nor sees its owner's subscriptions to them", async () => {
    receiver = await startReceiver();
    const users = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.users', targetUrl: receiver.url, captureMode: 'poll', events: ['create'] });
    expect(users.status, JSON.stringify(users.body)).toBe(201);
    const { key: narrow } = await rig.relay.createKey({ scopes: ['subscriptions'], allowedModels: ['res.partner'] });

    const refused = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.users', targetUrl: receiver.url, captureMode: 'poll', events: ['create'] }, narrow);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'res.users', allowed: ['res.partner'] } });
    const own = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'], domain: [['name', '=', 'nobody']] }, narrow);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    // A subscription's model never changes, whoever asks.
    expect((await rig.api('PATCH', `/api/v1/subscriptions/${own.body.subscription.id}`, { model: 'res.users' }, narrow)).body.code).toBe('invalid_request');
    // Nor does its domain reach another model: which partners it delivers would tell which countries match.
    const reaching = { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'], domain: [['country_id.code', '=like', 'B%']] };
    const viaCountry = await rig.api('POST', '/api/v1/subscriptions', reaching, narrow);
    expect(viaCountry.status, JSON.stringify(viaCountry.body)).toBe(403);
    expect(viaCountry.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'res.country', field: 'res.partner.country_id' } });
    const patched = await rig.api('PATCH', `/api/v1/subscriptions/${own.body.subscription.id}`, { domain: [['category_id', 'any', [['name', '=', 'VIP']]]] }, narrow);
    expect(patched.status, JSON.stringify(patched.body)).toBe(403);
    expect((await rig.api('GET', `/api/v1/subscriptions/${own.body.subscription.id}`, undefined, narrow)).body.subscription.domain).toEqual([['name', '=', 'nobody']]);
    // The owner, without an allow-list, may.
    expect((await rig.api('POST', '/api/v1/subscriptions', reaching)).status).toBe(201);

    const listed = await rig.api('GET', '/api/v1/subscriptions', undefined, narrow);
    const ids = listed.body.subscriptions.map((sub: { id: string }) => sub.id);
    expect(ids).toContain(own.body.subscription.id);
    expect(ids).not.toContain(users.body.subscription.id);
    const base = `/api/v1/subscriptions/${users.body.subscription.id}`;
    for (const [method, path, body] of [
      ['GET', base, undefined],
      ['GET', `${base}/deliveries`, undefined],
      ['PATCH', base, { targetUrl: `${receiver.url}/elsewhere` }],
      ['POST', `${base}/rotate-secret`, undefined],
      ['POST', `${base}/replay`, {}],
      ['POST', `${base}/test`, undefined],
      ['DELETE', base, undefined],
    ] as const) {
      expect((await rig.api(method, path, body, narrow)).status, `${method} ${path}`).toBe(404);
    }
    // The owner's own view is unchanged.
    expect((await rig.api('GET', base)).body.subscription).toMatchObject({ model: 'res.users', targetUrl: receiver.url });
  });

  it('holds a key pinned to one Odoo connection to that connection, and a method allow-list to reading', async () => {
    receiver = await startReceiver();
    const db = rig.relay.ctx.storage.db;
    const main = await db.selectFrom('odoo_connections').selectAll().where('user_id', '=', rig.relay.admin.id).where('is_default', '=', 1).executeTakeFirstOrThrow();
    // A second connection of the same user (a staging database), not the default.
    const stagingId = `con_staging${Date.now()}`;
    await db.insertInto('odoo_connections').values({ ...main, id: stagingId, name: 'staging', is_default: 0 }).execute();
    const { key: pinned } = await rig.relay.createKey({ scopes: ['subscriptions'], connectionId: stagingId });
    const sub = { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'] };

    const onItsOwn = await rig.api('POST', '/api/v1/subscriptions', sub, pinned);
    expect(onItsOwn.status, JSON.stringify(onItsOwn.body)).toBe(201);
    expect(onItsOwn.body.subscription.connectionId).toBe(stagingId);
    const elsewhere = await rig.api('POST', '/api/v1/subscriptions', { ...sub, connectionId: main.id }, pinned);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatchObject({ code: 'connection_not_allowed', details: { field: 'connectionId' } });

    // The owner's subscriptions on the main connection are not the pinned key's to see or change.
    const owners = await rig.api('POST', '/api/v1/subscriptions', sub);
    expect(owners.body.subscription.connectionId).toBe(main.id);
    const listed = (await rig.api('GET', '/api/v1/subscriptions', undefined, pinned)).body.subscriptions.map((s: { id: string }) => s.id);
    expect(listed).toContain(onItsOwn.body.subscription.id);
    expect(listed).not.toContain(owners.body.subscription.id);
    expect((await rig.api('PATCH', `/api/v1/subscriptions/${owners.body.subscription.id}`, { targetUrl: `${receiver.url}/x` }, pinned)).status).toBe(404);

    // Deliveries carry the records' fields: a key allowed only to count cannot subscribe.
    const { key: counter } = await rig.relay.createKey({ scopes: ['subscriptions'], allowedMethods: ['search_count'] });
    const counted = await rig.api('POST', '/api/v1/subscriptions', sub, counter);
    expect(counted.status).toBe(403);
    expect(counted.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'read' } });
    const { key: reader } = await rig.relay.createKey({ scopes: ['subscriptions'], allowedMethods: ['search_read'] });
    expect((await rig.api('POST', '/api/v1/subscriptions', sub, reader)).status).toBe(201);
  });

  it("does not show one user's subscription to another", async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    const { createUser } = await import('../../src/auth/users.js');
    const { createApiKey } = await import('../../src/auth/api-keys.js');
    const other = await createUser(db(), { username: `other${Date.now()}`, password: 'correct horse battery', role: 'user' });
    const { key } = await createApiKey(db(), rig.relay.ctx.box, { userId: other.id, name: 'o', scopes: ['subscriptions'] }, 100);
    expect((await rig.api('GET', `/api/v1/subscriptions/${subscription.id}`, undefined, key)).status).toBe(404);
    expect((await rig.api('DELETE', `/api/v1/subscriptions/${subscription.id}`, undefined, key)).status).toBe(404);
  });
});

describe('delivery', () => {
  it('delivers signed JSON that standardwebhooks verifies, with custom headers and no leaked receiver cookies', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe({ headers: { authorization: 'Bearer receiver-token' } });
    await inject(subscription.id, 3);
    const got = await receiver.waitFor(3);
    const wh = new Webhook(secret);
    for (const r of got) {
      const payload = wh.verify(r.rawBody.toString('utf8'), r.headers as Record<string, string>) as any;
      expect(payload).toMatchObject({ type: 'res.partner.created', model: 'res.partner', event: 'create' });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.authorization).toBe('Bearer receiver-token');
      expect(r.headers['webhook-id']).toMatch(/^msg_/);
    }
    await until(async () => (await db().selectFrom('deliveries').select('status').where('subscription_id', '=', subscription.id).where('status', '=', 'delivered').execute()).length === 3);
    const log = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries`);
    expect(log.body.deliveries).toHaveLength(3);
    const one = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries/${log.body.deliveries[0].id}`);
    expect(one.body.attempts[0]).toMatchObject({ attempt: 1, status: 200, responseBody: 'received' });
    expect(one.body.attempts[0].responseHeaders['set-cookie']).toBeUndefined();
  });

  it('delivers XML with the same content and the same signature scheme', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe({ format: 'xml' });
    await inject(subscription.id, 1, 500);
    const [r] = await receiver.waitFor(1);
    expect(r.headers['content-type']).toBe('application/xml');
    const body = r.rawBody.toString('utf8');
    new Webhook(secret).verify(body, r.headers as Record<string, string>, { jsonParse: false });
    expect(fromXml(body)).toMatchObject({ type: 'res.partner.created', record_id: 500, data: { id: 500, name: 'P500', email: false } });
  });

  it('retries with the same webhook-id and records every attempt', async () => {
    receiver = await startReceiver('fail500');
    const { subscription } = await subscribe();
    await inject(subscription.id, 1);
    await receiver.waitFor(2);
    receiver.setMode('ok');
    const all = await receiver.waitFor(3);
    expect(new Set(all.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed afresh (timestamps may differ), the body is the same bytes.
    expect(new Set(all.map((r) => r.rawBody.toString())).size).toBe(1);
    const delivery = await until(() => db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).where('status', '=', 'delivered').executeTakeFirst());
    const attempts = await db().selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', delivery.id).orderBy('id').execute();
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(attempts[0].response_body!.length).toBe(1024);
  });

  it('records a receiver answer holding a NUL (which no PostgreSQL text may hold) and delivers once', async () => {
    // On PostgreSQL the attempt's insert failed, the batch rolled back, and the delivery (with
    // any other written in the same batch) was sent again after every lease, for ever.
    receiver = await startReceiver('nul');
    const { subscription } = await subscribe();
    await inject(subscription.id, 1);
    const delivery = await until(() => db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).where('status', '=', 'delivered').executeTakeFirst());
    const attempts = await db().selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', delivery.id).execute();
    expect(attempts.map((a) => [a.status, a.response_body])).toEqual([[200, 'ok\uFFFDnul\uFFFD']]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('carries records whose Odoo id is past 2^31', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    const [eventId] = await inject(subscription.id, 1, 3_000_000_000);
    const [request] = await receiver.waitFor(1);
    expect(JSON.parse(request!.rawBody.toString())).toMatchObject({ id: eventId, record_id: 3_000_000_000 });
    const stored = await db().selectFrom('events').select('record_id').where('id', '=', eventId!).executeTakeFirstOrThrow();
    expect(stored.record_id).toBe(3_000_000_000);
  });

  it('honours Retry-After on 429', async () => {
    receiver = await startReceiver('429');
    const { subscription } = await subscribe();
    const t0 = Date.now();
    await inject(subscription.id, 1);
    await receiver.waitFor(1);
    const d = await until(() => db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).where('attempts', '=', 1).executeTakeFirst());
    expect(d.status).toBe('pending');
    expect(d.last_status).toBe(429);
    expect(d.next_attempt_at).toBeGreaterThanOrEqual(t0 + 7_000);
  });

  it('times out a hanging receiver and records the timeout', async () => {
    receiver = await startReceiver('hang');
    const { subscription } = await subscribe({ timeoutMs: 300, retries: 0 });
    await inject(subscription.id, 1);
    const d = await until(() => db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).where('status', '=', 'failed').executeTakeFirst());
    expect(d.last_error).toBe('timeout');
  });

  it('disables the subscription at once on 410 Gone', async () => {
    receiver = await startReceiver('410');
    const { subscription } = await subscribe();
    await inject(subscription.id, 1);
    const sub = await until(() => db().selectFrom('subscriptions').selectAll().where('id', '=', subscription.id).where('active', '=', 0).executeTakeFirst());
    expect(sub.disabled_reason).toMatch(/410/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('dead-letters after the last retry, disables after N failed deliveries, and replays on request', async () => {
    receiver = await startReceiver('fail500');
    const { subscription, secret } = await subscribe({ retries: 1 });
    const ids = await inject(subscription.id, 5);
    const sub = await until(() => db().selectFrom('subscriptions').selectAll().where('id', '=', subscription.id).where('active', '=', 0).executeTakeFirst(), 15_000, 'disable');
    expect(sub.disabled_reason).toMatch(/5 consecutive deliveries failed/);
    expect(sub.disabled_at).toBeGreaterThan(0);
    const failed = await db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).execute();
    expect(failed.every((d) => d.status === 'failed' && d.attempts === 2)).toBe(true);
    const shown = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}`);
    expect(shown.body.subscription).toMatchObject({ active: false, disabledReason: expect.stringMatching(/consecutive/) });
    expect(shown.body.deliveries.failed).toBe(5);

    // While disabled nothing is sent.
    const before = receiver.requests.length;
    await inject(subscription.id, 1, 100);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.length).toBe(before);

    receiver.setMode('ok');
    const enabled = await rig.api('PATCH', `/api/v1/subscriptions/${subscription.id}`, { active: true });
    expect(enabled.body.missed).toMatchObject({ failed: 5 });
    // The pending event captured while disabled goes out; the dead-lettered ones wait for a replay.
    await receiver.waitFor(before + 1);
    const one = failed[0].id;
    expect((await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/replay`, { deliveryIds: [one] })).body.replayed).toBe(1);
    await receiver.waitFor(before + 2);
    expect((await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/replay`, {})).body.replayed).toBe(4);
    const all = await receiver.waitFor(before + 6);
    const replayed = all.slice(before).map((r) => r.headers['webhook-id']);
    // Same webhook-ids as the failed attempts: a receiver that did get one can de-duplicate.
    for (const d of failed) expect(replayed).toContain(d.id);
    for (const r of all.slice(before)) new Webhook(secret).verify(r.rawBody.toString(), r.headers as Record<string, string>);
    expect(ids).toHaveLength(5);
  });

  it("writes the other deliveries' outcomes when a subscription is deleted while its delivery is being sent", async () => {
    receiver = await startReceiver('held');
    const other = await startReceiver('held');
    try {
      const { subscription: a } = await subscribe();
      const bRes = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: other.url, captureMode: 'poll', events: ['create'], domain: [['name', '=', 'nobody-matches-this']] });
      const b = bRes.body.subscription as { id: string };
      expect((await rig.api('POST', `/api/v1/subscriptions/${a.id}/test`)).status).toBe(202);
      const sentB = await rig.api('POST', `/api/v1/subscriptions/${b.id}/test`);
      await Promise.all([receiver.waitFor(1, 10_000), other.waitFor(1, 10_000)]);
      expect((await rig.api('DELETE', `/api/v1/subscriptions/${a.id}`)).status).toBe(200);
      receiver.release();
      other.release();
      // B's delivery is delivered once, its attempt logged: the batch was not lost with A's.
      const delivery = await until(async () => {
        const row = await db().selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', sentB.body.deliveryId).executeTakeFirst();
        return row?.status === 'delivered' ? row : undefined;
      });
      expect(delivery).toEqual({ status: 'delivered', attempts: 1 });
      expect(await db().selectFrom('delivery_attempts').select('status').where('delivery_id', '=', sentB.body.deliveryId).execute()).toEqual([{ status: 200 }]);
      await new Promise((r) => setTimeout(r, 300));
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('counts failures in the order they finished: a success written in the same batch wipes the failures before it', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe({ retries: 0 });
    const id = subscription.id;
    // Nine deliveries claimed by another worker (another instance), whose outcomes this test writes
    // as its batches; the relay's own worker leaves claims with a live lease alone.
    await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { active: false });
    await inject(id, 9, 1_100);
    await db().updateTable('deliveries').set({ status: 'in_flight', locked_by: 'wrk_other', locked_until: Date.now() + 3_600_000 }).where('subscription_id', '=', id).execute();
    await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { active: true });
    const d = (await db().selectFrom('deliveries as d').innerJoin('events as e', 'e.id', 'd.event_id').select('d.id').where('d.subscription_id', '=', id).orderBy('e.record_id').execute()).map((r) => r.id);
    const outcome = (deliveryId: string, status: 200 | 500): AttemptRecord => ({
      deliveryId,
      subscriptionId: id,
      attempt: 1,
      startedAt: Date.now(),
      durationMs: 1,
      status,
      error: null,
      errorMessage: null,
      responseHeaders: {},
      responseBody: '',
      next: status === 200 ? { status: 'delivered' } : { status: 'failed' },
    });
    const count = async () => db().selectFrom('subscriptions').select(['consecutive_failures', 'active']).where('id', '=', id).executeTakeFirstOrThrow();

    // The probe: four 500s, then a 200, all finished before one write.
    await completeAttempts(db(), 'wrk_other', [outcome(d[0]!, 500), outcome(d[1]!, 500), outcome(d[2]!, 500), outcome(d[3]!, 500), outcome(d[4]!, 200)], 5);
    expect(await count()).toEqual({ consecutive_failures: 0, active: 1 });
    // One more failure is the first of a new run, not the fifth.
    const none = await completeAttempts(db(), 'wrk_other', [outcome(d[5]!, 500)], 5);
    expect(none.disabled).toEqual([]);
    expect(await count()).toEqual({ consecutive_failures: 1, active: 1 });
    // A success, then two failures: the run before the success is over, the two after it count.
    await completeAttempts(db(), 'wrk_other', [outcome(d[6]!, 200), outcome(d[7]!, 500), outcome(d[8]!, 500)], 5);
    expect(await count()).toEqual({ consecutive_failures: 2, active: 1 });
    const statuses = await db().selectFrom('deliveries').select('status').where('subscription_id', '=', id).execute();
    expect(statuses.filter((s) => s.status === 'delivered')).toHaveLength(2);
  });

  it('replays chosen deliveries by id whatever they finished as, never one still pending', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    const id = subscription.id;
    await inject(id, 2, 1_200);
    await receiver.waitFor(2);
    const delivered = await until(async () => {
      const rows = await db().selectFrom('deliveries').select('id').where('subscription_id', '=', id).where('status', '=', 'delivered').execute();
      return rows.length === 2 ? rows.map((r) => r.id) : undefined;
    });
    // Ids alone are enough: a delivered delivery is sent again, with its webhook-id.
    const replay = (body: unknown) => rig.api('POST', `/api/v1/subscriptions/${id}/replay`, body);
    expect((await replay({ deliveryIds: [delivered[0]] })).body).toEqual({ success: true, replayed: 1, active: true, skipped: [] });
    const again = await receiver.waitFor(3);
    expect(again[2]!.headers['webhook-id']).toBe(delivered[0]);
    await until(async () => (await db().selectFrom('deliveries').select('status').where('id', '=', delivered[0]!).executeTakeFirst())?.status === 'delivered');
    // A status narrows the ids to the deliveries that finished that way.
    // The ids left alone are listed with their status, and an id this subscription does not have says so.
    // A refused body or query names its field, as every other refusal does.
    const bogus = await replay({ status: 'bogus' });
    expect(bogus.status).toBe(400);
    expect(bogus.body.details).toMatchObject({ field: 'status', fields: [{ field: 'status' }] });
    const badQuery = await rig.api('GET', `/api/v1/subscriptions/${id}/deliveries?limit=0`);
    expect(badQuery.body.details).toMatchObject({ field: 'limit' });
    const narrowed = await replay({ deliveryIds: [...delivered, 'msg_not_this_subscriptions'], status: 'failed' });
    expect(narrowed.body).toMatchObject({ replayed: 0 });
    expect(narrowed.body.skipped).toEqual([
      { id: delivered[0], status: 'delivered' },
      { id: delivered[1], status: 'delivered' },
      { id: 'msg_not_this_subscriptions', status: 'unknown' },
    ]);
    // One still pending is on its way already: replaying it would restart its retries.
    await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { active: false });
    const [pendingEvent] = await inject(id, 1, 1_300);
    const pending = await db().selectFrom('deliveries').select(['id', 'attempts']).where('event_id', '=', pendingEvent!).executeTakeFirstOrThrow();
    await db().updateTable('deliveries').set({ attempts: 2 }).where('id', '=', pending.id).execute();
    const mixed = await replay({ deliveryIds: [pending.id, delivered[1]] });
    expect(mixed.body).toMatchObject({ replayed: 1, skipped: [{ id: pending.id, status: 'pending' }] });
    expect(await db().selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', pending.id).executeTakeFirst()).toEqual({ status: 'pending', attempts: 2 });
  });

  it('fails deliveries whose secret does not open unsent and counted, and a rotation repairs the subscription', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe({ retries: 1, headers: { 'x-receiver-token': 'tok' } });
    // Sealed under another master key, as a row restored from another relay's database would be.
    const foreign = new SecretBox(crypto.randomBytes(32));
    await db().updateTable('subscriptions').set({ secret_enc: foreign.encrypt('whsec_foreign'), headers_enc: foreign.encrypt('{"x-receiver-token":"tok"}') }).where('id', '=', subscription.id).execute();
    await inject(subscription.id, 1);
    const failed = await until(() => db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscription.id).where('status', '=', 'failed').executeTakeFirst());
    expect(failed).toMatchObject({ attempts: 2, last_error: 'secret_unreadable' });
    const attempts = await db().selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', failed.id).execute();
    expect(attempts.map((a) => a.error)).toEqual(['secret_unreadable', 'secret_unreadable']);
    expect(attempts[0].error_message).toMatch(/cannot be decrypted/);
    expect(receiver.requests).toHaveLength(0);
    const shown = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.subscription).toMatchObject({ consecutiveFailures: 1, headerNames: [] });

    const rotated = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    // The secret that did not open signs no more: no window is promised for it.
    expect(rotated.body.previousSecretValidUntil).toBeNull();
    expect((await rig.api('PATCH', `/api/v1/subscriptions/${subscription.id}`, { headers: { 'x-receiver-token': 'tok2' } })).status).toBe(200);
    expect((await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/replay`, { deliveryIds: [failed.id] })).body.replayed).toBe(1);
    const [r] = await receiver.waitFor(1);
    // Signed with the new secret alone: the one that did not open cannot sign.
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(1);
    new Webhook(rotated.body.secret).verify(r.rawBody.toString(), r.headers as Record<string, string>);
    expect(r.headers['x-receiver-token']).toBe('tok2');
  });

  it('signs with old and new secret during a rotation', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe();
    const rotated = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/rotate-secret`);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    await inject(subscription.id, 1);
    const [r] = await receiver.waitFor(1);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    new Webhook(secret).verify(r.rawBody.toString(), r.headers as Record<string, string>);
    new Webhook(rotated.body.secret).verify(r.rawBody.toString(), r.headers as Record<string, string>);
  });

  it("sends one record's changes in order: a later change waits while an earlier one is being retried", async () => {
    receiver = await startReceiver('fail500');
    const { subscription } = await subscribe({ events: ['create', 'write', 'unlink'], retries: 20 });
    const change = (recordId: number, event: 'create' | 'write' | 'unlink', occurredAt: number) => {
      const id = `evt_order_${subscription.id}_${recordId}_${event}`;
      const payload = buildEventPayload({ id, model: 'res.partner', recordId, event, occurredAt: new Date(occurredAt), data: { name: `R${recordId}` } });
      return { id, subscriptionId: subscription.id, model: 'res.partner', recordId, event, source: 'push' as const, payload: JSON.stringify(payload), occurredAt };
    };
    const t = Date.now();
    await recordEvents(db(), [change(70, 'create', t)]);
    rig.relay.ctx.events.worker.wake();
    await receiver.waitFor(1);
    // The create failed and waits for its retry; the record's update and deletion come in, and another record's create.
    await recordEvents(db(), [change(70, 'write', t + 1000), change(70, 'unlink', t + 2000), change(71, 'create', t + 1000)]);
    rig.relay.ctx.events.worker.wake();
    const seen = () => receiver.requests.map((r) => JSON.parse(r.rawBody.toString()) as { record_id: number; event: string });
    // The other record is not held up by record 70's failing create.
    await until(() => seen().some((e) => e.record_id === 71));
    expect(seen().filter((e) => e.record_id === 70).map((e) => e.event)).toEqual(expect.arrayContaining(['create']));
    expect(seen().some((e) => e.record_id === 70 && e.event !== 'create')).toBe(false);
    receiver.setMode('ok');
    await until(() => seen().some((e) => e.record_id === 70 && e.event === 'unlink'));
    const order = seen().filter((e) => e.record_id === 70).map((e) => e.event);
    const firstLater = order.findIndex((e) => e !== 'create');
    expect(order.slice(firstLater)).toEqual(['write', 'unlink']);
    expect(order.slice(0, firstLater).every((e) => e === 'create')).toBe(true);
  });

  it('keeps the original secret valid through a second rotation inside its window', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe();
    const first = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/rotate-secret`);
    const second = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/rotate-secret`);
    expect(second.body.secret).not.toBe(first.body.secret);
    await inject(subscription.id, 1);
    const [r] = await receiver.waitFor(1);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(3);
    for (const s of [secret, first.body.secret, second.body.secret]) new Webhook(s).verify(r.rawBody.toString(), r.headers as Record<string, string>);
  });

  it('keeps every secret valid when two rotations run at once', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe();
    const rotations = await Promise.all([1, 2, 3].map(() => rig.api('POST', `/api/v1/subscriptions/${subscription.id}/rotate-secret`)));
    expect(rotations.map((r) => r.status)).toEqual([200, 200, 200]);
    await inject(subscription.id, 1);
    const [r] = await receiver.waitFor(1);
    // The original and each secret a caller was shown: one current, the others still signing.
    for (const s of [secret, ...rotations.map((x) => x.body.secret)]) new Webhook(s).verify(r.rawBody.toString(), r.headers as Record<string, string>);
  });

  it('prunes finished events with their deliveries and attempts, never pending ones', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    await inject(subscription.id, 2, 900);
    await receiver.waitFor(2);
    await until(async () => (await db().selectFrom('deliveries').select('id').where('subscription_id', '=', subscription.id).where('status', '=', 'delivered').execute()).length === 2);
    await rig.api('PATCH', `/api/v1/subscriptions/${subscription.id}`, { active: false });
    await inject(subscription.id, 1, 950); // stays pending while the subscription is inactive
    const pruned = await pruneFinishedEvents(db(), Date.now() + 1000);
    expect(pruned).toBeGreaterThanOrEqual(2);
    const left = await db().selectFrom('deliveries').select(['status']).where('subscription_id', '=', subscription.id).execute();
    expect(left.map((d) => d.status)).toEqual(['pending']);
    const orphanAttempts = await db().selectFrom('delivery_attempts').select('id').where('delivery_id', 'not in', db().selectFrom('deliveries').select('id')).execute();
    expect(orphanAttempts).toHaveLength(0);
  });

  it('keeps a delivery replayed between the prune\'s read and its delete, with its event and attempts', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    const [kept, pruned] = await inject(subscription.id, 2, 1_000);
    const finished = await until(async () => {
      const rows = await db().selectFrom('deliveries').select(['id', 'event_id']).where('subscription_id', '=', subscription.id).where('status', '=', 'delivered').execute();
      return rows.length === 2 ? rows : undefined;
    });
    // Inactive, so the replayed delivery stays pending instead of being sent at once.
    await rig.api('PATCH', `/api/v1/subscriptions/${subscription.id}`, { active: false });
    const replayedId = finished.find((d) => d.event_id === kept)!.id;
    // Another writer, on a connection of its own as another process would be: the owner
    // replays one delivery right after the prune has read which events are finished.
    const other = anotherConnection();
    let replayed = -1;
    const racing = db().withPlugin(afterFirstSelect(async () => {
      replayed = (await replayDeliveries(other.db, subscription.id, { deliveryIds: [replayedId], statuses: ['delivered'] })).replayed;
    }));
    try {
      await pruneFinishedEvents(racing, Date.now() + 1000);
    } finally {
      await other.close();
    }
    expect(replayed).toBe(1);
    const left = await db().selectFrom('deliveries').select(['id', 'status', 'event_id']).where('subscription_id', '=', subscription.id).execute();
    expect(left).toEqual([{ id: replayedId, status: 'pending', event_id: kept }]);
    expect(await db().selectFrom('events').select('id').where('id', 'in', [kept, pruned]).execute()).toEqual([{ id: kept }]);
    expect(await db().selectFrom('delivery_attempts').select('id').where('delivery_id', '=', replayedId).execute()).toHaveLength(1);
  });

  it('shows the queue in /metrics: deliveries pending and in flight, the oldest pending one, subscriptions by state', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe({ active: false });
    await inject(subscription.id, 3, 900);
    const gauge = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    const text = await (await fetch(`${rig.relay.url}/metrics`)).text();
    const count = async (status: 'pending' | 'in_flight') =>
      Number((await db().selectFrom('deliveries').select(db().fn.countAll().as('n')).where('status', '=', status).executeTakeFirstOrThrow()).n);
    const pending = await count('pending');
    expect(pending).toBeGreaterThanOrEqual(3);
    expect(gauge(text, 'relay_deliveries_queued{status="pending"}')).toBe(pending);
    expect(gauge(text, 'relay_deliveries_queued{status="in_flight"}')).toBe(await count('in_flight'));
    expect(gauge(text, 'relay_deliveries_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    const disabled = Number((await db().selectFrom('subscriptions').select(db().fn.countAll().as('n')).where('active', '=', 0).executeTakeFirstOrThrow()).n);
    expect(disabled).toBeGreaterThanOrEqual(1);
    expect(gauge(text, 'relay_subscriptions{state="disabled"}')).toBe(disabled);
  });

  it('test-send queues one signed <model>.test event through the outbox, logged like any delivery', async () => {
    receiver = await startReceiver();
    const { subscription, secret } = await subscribe();
    const res = await rig.api('POST', `/api/v1/subscriptions/${subscription.id}/test`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    // Shaped like a real event (events-payload.md), so a receiver that checks the id or reads data.id handles it too.
    expect(res.body).toMatchObject({ success: true, deliveryId: expect.stringMatching(/^msg_/), eventId: expect.stringMatching(/^evt_[0-9a-f]{32}$/), active: true });
    const [r] = await receiver.waitFor(1);
    expect(r!.headers['webhook-id']).toBe(res.body.deliveryId);
    const payload = new Webhook(secret).verify(r!.rawBody.toString('utf8'), r!.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({ id: res.body.eventId, type: 'res.partner.test', model: 'res.partner', record_id: 0, data: { id: 0, test: true } });
    expect(Object.keys(payload.data)[0]).toBe('id');
    await until(async () => (await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries`)).body.deliveries[0]?.status === 'delivered');
    const log = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries`);
    expect(log.body.deliveries[0]).toMatchObject({ id: res.body.deliveryId, eventType: 'res.partner.test', recordId: 0 });
    // Someone else's subscription, or none: 404.
    expect((await rig.api('POST', '/api/v1/subscriptions/sub_nope/test')).status).toBe(404);
  });

  it('pages the delivery log by (created_at, id), so deliveries stored in the same millisecond are neither skipped nor repeated', async () => {
    receiver = await startReceiver();
    const { subscription } = await subscribe();
    await rig.api('PATCH', `/api/v1/subscriptions/${subscription.id}`, { active: false }); // keep them pending; order is what matters
    await inject(subscription.id, 5, 900); // one recordEvents call: one created_at
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const page = await rig.api('GET', `/api/v1/subscriptions/${subscription.id}/deliveries?limit=2${cursor}`);
      expect(page.status).toBe(200);
      if (page.body.deliveries.length === 0) break;
      seen.push(...page.body.deliveries.map((d: any) => d.id));
      const last = page.body.deliveries.at(-1);
      cursor = `&before=${last.createdAt}&beforeId=${last.id}`;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });
});
