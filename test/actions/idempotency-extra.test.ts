import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startCountingProxy, type CountingProxy } from '../odoo/counting-proxy.js';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { saveDefaultConnection } from '../../src/connections/store.js';

/**
 * Idempotency-Key edge cases over real HTTP. A proxy between the relay and the Odoo test server
 * (the gate) holds Odoo calls for as long as the test wants, so "the first request is still running" is a
 * state the test controls rather than a race against a latency.
 */
let sim: OdooSim;
let gate: CountingProxy;
let relay: TestRelay;
let auth: Record<string, string>;

beforeAll(async () => {
  sim = await startOdooSim({ version: 18, automationNoise: 'none' });
  gate = await startCountingProxy(sim.url);
  relay = await startTestRelay();
  await relay.connectOdoo({ url: gate.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  auth = { authorization: `Bearer ${(await relay.createKey({ rateLimit: 10_000 })).key}` };
  // Warm: login and version detection are done before any test holds the gate.
  expect((await relay.post('/api/n8n/webhook', { action: 'test_connection' }, auth)).status).toBe(200);
});
afterAll(async () => {
  await relay.close();
  await gate.close();
  await sim.close();
});

const createBody = (name: string) => ({ action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] });
const send = (body: unknown, key: string) => relay.post('/api/n8n/webhook', body, { ...auth, 'idempotency-key': key });
const countInOdoo = (name: string) => sim.engine.execute(2, 'res.partner', 'search_count', [[['name', '=', name]]], {});

describe('Idempotency-Key', () => {
  it("keeps each API key's answers to itself: the same key and body from another key of the same user, or another user's key, creates again", async () => {
    const db = relay.ctx.storage.db;
    const other = await createUser(db, { username: `scope${Date.now()}`, password: 'correct horse battery' });
    await saveDefaultConnection(db, relay.ctx.box, other.id, { url: gate.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const otherUsers = (await createApiKey(db, relay.ctx.box, { userId: other.id, name: 'other user', rateLimit: 10_000 }, 10_000)).key;
    const sameUsers = (await relay.createKey({ name: 'second workflow', rateLimit: 10_000 })).key;
    const name = `Scoped ${Date.now()}`;
    // Keys like `{{ $execution.id }}-0` repeat across workflows: a replay across credentials would
    // hand one workflow another's record instead of creating its own.
    const sendAs = (apiKey: string) => relay.post('/api/n8n/webhook', createBody(name), { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'exec-1-0' });

    const first = await send(createBody(name), 'exec-1-0');
    expect(first.status).toBe(200);
    const ids = [first.body.result];
    for (const apiKey of [sameUsers, otherUsers]) {
      const answer = await sendAs(apiKey);
      expect(answer.status).toBe(200);
      expect(answer.headers['idempotent-replayed']).toBeUndefined();
      expect(ids).not.toContain(answer.body.result);
      ids.push(answer.body.result);
      // Within its own scope the key still replays.
      const repeat = await sendAs(apiKey);
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body.result).toBe(answer.body.result);
    }
    expect(await countInOdoo(name)).toBe(3);
  });

  it('refuses the header sent twice (Node would join the two into a third key) and creates nothing', async () => {
    const name = `Two keys ${Date.now()}`;
    const res = await request(`${relay.url}/api/n8n/webhook`, {
      method: 'POST',
      headers: ['authorization', auth.authorization!, 'content-type', 'application/json', 'idempotency-key', 'd1', 'Idempotency-Key', 'd2'],
      body: JSON.stringify(createBody(name)),
    });
    const body = (await res.body.json()) as { code: string; error: string; details: { field: string } };
    expect(res.statusCode).toBe(400);
    expect(body).toMatchObject({ code: 'invalid_request', error: 'Idempotency-Key was sent more than once; send one', details: { field: 'Idempotency-Key' } });
    expect(countInOdoo(name)).toBe(0);
  });

  it('answers 409 idempotency_in_progress to a repeat while the first request is still running, then replays the first answer', async () => {
    const name = `In progress ${Date.now()}`;
    const key = `in-progress-${name}`;
    const reachedOdoo = gate.requests.length;
    gate.hold();
    const first = send(createBody(name), key);
    await gate.whenHeld(1);

    const second = await send(createBody(name), key);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ success: false, code: 'idempotency_in_progress' });
    expect(second.headers['retry-after']).toBe('1');
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    // A different body under the same key is still a misuse of the key, running or not.
    const other = await send(createBody(`${name} other`), key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');

    gate.release();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.headers['idempotent-replayed']).toBeUndefined();

    const third = await send(createBody(name), key);
    expect(third.status).toBe(200);
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(third.body).toEqual(answered.body);
    // Only the first request reached Odoo: one create, one record.
    expect(gate.requests.length - reachedOdoo).toBe(1);
    expect(countInOdoo(name)).toBe(1);
  });

  it('does not replay a stored answer past its expiry (24 h): the call reaches Odoo again', async () => {
    const name = `Expired ${Date.now()}`;
    const key = `expired-${name}`;
    const first = await send(createBody(name), key);
    expect(first.status).toBe(200);
    const before = gate.requests.length;
    const replay = await send(createBody(name), key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(gate.requests.length).toBe(before);

    const db = relay.ctx.storage.db;
    const stored = await db.selectFrom('idempotency_keys').selectAll().where('idem_key', '=', key).executeTakeFirstOrThrow();
    expect(stored.expires_at - stored.created_at).toBe(24 * 3_600_000);
    // As if the first request had been made 25 hours ago.
    const createdAt = Date.now() - 25 * 3_600_000;
    await db.updateTable('idempotency_keys').set({ created_at: createdAt, expires_at: createdAt + 24 * 3_600_000 }).where('idem_key', '=', key).execute();

    const later = await send(createBody(name), key);
    expect(later.status).toBe(200);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.body.result).not.toBe(first.body.result);
    expect(gate.requests.length - before).toBe(1);
    expect(countInOdoo(name)).toBe(2);
    // The key now holds the new answer, for a fresh 24 h.
    const renewed = await db.selectFrom('idempotency_keys').selectAll().where('idem_key', '=', key).executeTakeFirstOrThrow();
    expect(renewed.expires_at).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(JSON.parse(renewed.response!)).toEqual(later.body);
  });

  it("answers 409 idempotency_outcome_unknown, never a second create, when the first request's instance stopped before it answered", async () => {
    const name = `Abandoned ${Date.now()}`;
    const key = `abandoned-${name}`;
    gate.hold();
    const first = send(createBody(name), key);
    await gate.whenHeld(1);
    // What an instance killed in the middle of the request leaves: a claim nobody renews. Its
    // lease (60 s, renewed every 15 s while the request runs) is made to run out at once here.
    const db = relay.ctx.storage.db;
    await db.updateTable('idempotency_keys').set({ expires_at: Date.now() - 1 }).where('idem_key', '=', key).execute();

    const repeat = await send(createBody(name), key);
    expect(repeat.status).toBe(409);
    expect(repeat.body).toMatchObject({ code: 'idempotency_outcome_unknown', details: { firstError: 'relay_stopped', firstRequestId: null } });
    // The answer names this request, as its X-Request-Id header and log row do.
    expect(repeat.body.requestId).toBe(repeat.headers['x-request-id']);
    const again = await send(createBody(name), key);
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.requestId).toBe(again.headers['x-request-id']);
    expect(await countInOdoo(name)).toBe(0);

    // The first instance was only slow after all: its answer is the one kept.
    gate.release();
    expect((await first).status).toBe(200);
    const replayed = await send(createBody(name), key);
    expect(replayed.status).toBe(200);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(await countInOdoo(name)).toBe(1);
  });

  it('keeps a claim its instance renews in progress past the first lease, and gives up on it one lease after the last renewal', async () => {
    const store = relay.ctx.idempotency;
    const t0 = Date.now();
    const body = Buffer.from('{"n":1}');
    const abandoned = () => ({ status: 409, body: { success: false, code: 'idempotency_outcome_unknown' } });
    expect((await store.claim('test:lease', 'k', body, abandoned, t0)).kind).toBe('new');
    expect((await store.claim('test:lease', 'k', body, abandoned, t0 + 59_000)).kind).toBe('in_progress');
    await store.renew('test:lease', 'k', t0 + 50_000);
    expect((await store.claim('test:lease', 'k', body, abandoned, t0 + 100_000)).kind).toBe('in_progress');
    expect(await store.claim('test:lease', 'k', body, abandoned, t0 + 111_000)).toEqual({ kind: 'replay', ...abandoned() });
    // Kept for the key's time to live from the first request, then gone with the other answers.
    await store.purgeExpired(t0 + 23 * 3_600_000);
    expect((await store.claim('test:lease', 'k', body, abandoned, t0 + 23 * 3_600_000)).kind).toBe('replay');
    await store.purgeExpired(t0 + 24 * 3_600_000 + 1);
    expect((await store.claim('test:lease', 'k', body, abandoned, t0 + 24 * 3_600_000 + 1)).kind).toBe('new');
  });
});
