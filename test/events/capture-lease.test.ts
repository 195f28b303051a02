/**
 * One holder at a time for a subscription's capture: a poll, or capture set-up and teardown,
 * which create and remove rules in the customer's Odoo. Each race is run step by step (an
 * Odoo call held on a promise the test opens), on SQLite and on PostgreSQL, through a real
 * relay and the Odoo test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres.js';
import { startEventsRig, odoo, until, door, holdingAt, type Door, type EventsRig } from './helpers.js';
import { pollSubscription, type PollDeps } from '../../src/events/poller.js';
import { tryCaptureLease, withCaptureLease } from '../../src/events/capture-lease.js';
import { detachPushRules } from '../../src/events/push-rules.js';

import type { KyselyPlugin } from 'kysely';

/** A plugin that makes every INSERT into `table` fail, as a database refusing a write would. */
function failingInsertsInto(table: string): KyselyPlugin {
  return {
    transformQuery({ node }) {
      if (node.kind === 'InsertQueryNode' && (node.into as any)?.table?.identifier?.name === table) throw new Error(`insert into ${table} refused (test)`);
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
}

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await createTestDatabase() })],
])('capture lease on %s', (_name, env) => {
  let rig: EventsRig;

  beforeAll(async () => {
    rig = await startEventsRig({ env: await env() });
    // The relay's URL is known once it listens; Odoo posts to it (push capture).
    rig.relay.ctx.config.events.ingestUrl = rig.relay.url;
    // Polls run by hand here.
    await rig.relay.ctx.events.poller.stop();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  const db = () => rig.relay.ctx.storage.db;
  const lease = (subId: string) => db().selectFrom('subscription_capture').selectAll().where('subscription_id', '=', subId).executeTakeFirstOrThrow();
  const pollDeps = () => (rig.relay.ctx.events as any).pollDeps as PollDeps;
  /** The relay's rules in Odoo for one subscription (their names carry its id), or all of them. */
  const rulesInOdoo = async (subId = 'odoo-relay') => ({
    automationIds: ((await odoo(rig, 'base.automation', 'search', [[['name', 'like', subId]]])) as number[]).sort((a, b) => a - b),
    actionIds: ((await odoo(rig, 'ir.actions.server', 'search', [[['name', 'like', subId]]])) as number[]).sort((a, b) => a - b),
  });
  const rulesRecorded = async (subId: string) => {
    const rules = JSON.parse((await lease(subId)).push_rules ?? '{"automationIds":[],"actionIds":[]}') as { automationIds: number[]; actionIds: number[] };
    return { automationIds: rules.automationIds.sort((a, b) => a - b), actionIds: rules.actionIds.sort((a, b) => a - b) };
  };
  /** Runs `work` with the set-up's Odoo client holding its first `model.method` call at `at`, and changes not waiting for the capture lease. */
  async function racing<T>(model: string, method: string, at: Door, work: () => Promise<T>): Promise<T> {
    const events = rig.relay.ctx.events;
    const clientFor = events.clientFor;
    const waitMs = events.captureWaitMs;
    events.clientFor = async (sub) => holdingAt(await clientFor.call(events, sub), model, method, at);
    // Refused at once rather than after a wait: the test cannot tell "waiting" from "done" otherwise.
    events.captureWaitMs = 0;
    try {
      return await work();
    } finally {
      events.clientFor = clientFor;
      events.captureWaitMs = waitMs;
    }
  }
  const target = 'http://127.0.0.1:9/hook';

  it('leaves no rules in Odoo when the subscription is deleted while its capture is set up', async () => {
    const at = door();
    const { created, deleted, subId } = await racing('base.automation', 'create', at, async () => {
      const creating = rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target });
      // The set-up has created its first server action and is about to create the rule that calls it.
      const [, , [automation]] = (await at.reached) as [string, string, [{ name: string }]];
      const subId = /\((sub_[^,]+),/.exec(automation.name)![1];
      const deleted = await rig.api('DELETE', `/api/v1/subscriptions/${subId}`);
      at.release();
      return { created: await creating, deleted, subId };
    });
    // A delete refused while the set-up ran is the owner's to retry.
    if (deleted.status === 409) expect((await rig.api('DELETE', `/api/v1/subscriptions/${subId}`)).status).toBe(200);
    expect(await rulesInOdoo(subId)).toEqual({ automationIds: [], actionIds: [] });
    expect([created.status, deleted.status, deleted.body.code]).toEqual([201, 409, 'conflict']);
    expect(created.body.subscription.captureEffective).toBe('push');
  });

  it('leaves only the recorded rules in Odoo when two changes of a subscription race', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target });
    expect(res.body.subscription?.captureEffective, JSON.stringify(res.body)).toBe('push');
    const subId: string = res.body.subscription.id;
    const at = door();
    const { first, second } = await racing('base.automation', 'create', at, async () => {
      const changing = rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { domain: [['id', '>', 0]] });
      // The first change has removed the old rules and is creating its own.
      await at.reached;
      const second = await rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { domain: [['id', '>', 1]] });
      at.release();
      return { first: await changing, second };
    });
    const recorded = await rulesRecorded(subId);
    expect(recorded.automationIds).toHaveLength(2);
    expect(await rulesInOdoo(subId)).toEqual(recorded);
    expect([first.status, second.status, second.body.code]).toEqual([200, 409, 'conflict']);
    // The refused change is not kept: the subscription is what its rules capture.
    expect(first.body.subscription.domain).toEqual([['id', '>', 0]]);
    expect((await rig.api('GET', `/api/v1/subscriptions/${subId}`)).body.subscription.domain).toEqual([['id', '>', 0]]);
    expect((await rig.api('DELETE', `/api/v1/subscriptions/${subId}`)).status).toBe(200);
    expect(await rulesInOdoo(subId)).toEqual({ automationIds: [], actionIds: [] });
  });

  it('removes the rules it created from Odoo when they cannot be recorded', async () => {
    const before = await rulesInOdoo();
    const storage = rig.relay.ctx.storage;
    const db = storage.db;
    storage.db = db.withPlugin(failingInsertsInto('ingest_tokens'));
    let res;
    try {
      res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target });
    } finally {
      storage.db = db;
    }
    expect(await rulesInOdoo()).toEqual(before);
    // Not an Odoo refusal to fall back on: the database failed, and the subscription is not created.
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/ing_|insert into/);
  });

  it('lets a change wait for the lease until its holder gives it up, or refuses it with conflict', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target, captureMode: 'poll' });
    const subId: string = res.body.subscription.id;
    const held = (await tryCaptureLease(db(), subId))!;
    expect(held).not.toBeNull();
    expect(await tryCaptureLease(db(), subId)).toBeNull();
    await expect(withCaptureLease(db(), subId, 0, async () => 'ran')).rejects.toMatchObject({ code: 'conflict' });
    const waiting = withCaptureLease(db(), subId, 20_000, async (mine) => (await lease(subId)).locked_by === mine.owner);
    await held.release();
    expect(await waiting).toBe(true);
    expect(await lease(subId)).toMatchObject({ locked_by: null, locked_until: null });
    await expect(withCaptureLease(db(), 'sub_missing', 0, async () => 'ran')).rejects.toMatchObject({ code: 'not_found' });
  });

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

  it('takes rules off the capture row only for the lease holder: a holder that lost its lease leaves the new one\'s rules', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target });
    expect(res.body.subscription?.captureEffective, JSON.stringify(res.body)).toBe('push');
    const subId: string = res.body.subscription.id;
    const recorded = await rulesRecorded(subId);
    const tokens = () => db().selectFrom('ingest_tokens').select('token_hash').where('subscription_id', '=', subId).execute();
    const tokensBefore = await tokens();
    expect(tokensBefore.length).toBeGreaterThan(0);

    // A poll whose lease ran out while Odoo answered; another holder has the capture now.
    const stale = (await tryCaptureLease(db(), subId))!;
    await db().updateTable('subscription_capture').set({ locked_by: 'lease_other', locked_until: Date.now() + 60_000 }).where('subscription_id', '=', subId).execute();
    expect(await detachPushRules(db(), subId, stale)).toBeNull();
    expect(await rulesRecorded(subId)).toEqual(recorded);
    expect(await tokens()).toEqual(tokensBefore);

    // The holder takes them off, with their tokens, in one go.
    await db().updateTable('subscription_capture').set({ locked_by: null, locked_until: null }).where('subscription_id', '=', subId).execute();
    const holder = (await tryCaptureLease(db(), subId))!;
    const detached = await detachPushRules(db(), subId, holder);
    await holder.release();
    expect(detached?.rules).toMatchObject(recorded);
    expect((await lease(subId)).push_rules).toBeNull();
    expect(await tokens()).toEqual([]);
    // The rules are still in Odoo (the caller removes them); clean up.
    expect(await rulesInOdoo(subId)).toEqual(recorded);
    await odoo(rig, 'base.automation', 'unlink', [recorded.automationIds]);
    await odoo(rig, 'ir.actions.server', 'unlink', [recorded.actionIds]);
  });

  it('lets a waiting change go first: polls stand back, and the next poll is due an interval after a slow one ends', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target, captureMode: 'poll' });
    const subId: string = res.body.subscription.id;
    const base = pollDeps();
    const slowPoll = (at: Door, clock: () => number) =>
      pollSubscription({ ...base, clock, clientFor: async (sub) => holdingAt(await base.clientFor(sub), 'res.partner', 'search_read', at) }, subId, clock());

    // Odoo answers a poll 45 s on: the next poll is due an interval after that, not at once.
    let clock = Date.now();
    const first = door();
    const polling = slowPoll(first, () => clock);
    await first.reached;
    clock += 45_000;
    first.release();
    await polling;
    expect((await lease(subId)).next_poll_at).toBeGreaterThanOrEqual(clock + base.intervals.pollMs);

    // A delete arrives while Odoo is slow to answer a poll: it waits for the lease, and no poll
    // takes the lease back from it meanwhile.
    const second = door();
    const again = slowPoll(second, Date.now);
    await second.reached;
    const deleting = rig.api('DELETE', `/api/v1/subscriptions/${subId}`);
    await until(async () => base.changeWaiting?.(subId) === true, 5_000, 'the delete to wait for the lease');
    expect(await pollSubscription(base, subId)).toBeNull();
    second.release();
    await again;
    expect((await deleting).status).toBe(200);
    expect(base.changeWaiting?.(subId)).toBe(false);
  });

  it('refuses a malformed change at once, even while the lease is held; a busy subscription\'s 409 says when to retry', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: target, captureMode: 'poll' });
    const subId: string = res.body.subscription.id;
    const held = (await tryCaptureLease(db(), subId))!;
    const events = rig.relay.ctx.events;
    const waitMs = events.captureWaitMs;
    events.captureWaitMs = 0;
    try {
      const bad = await rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { events: ['bogus'] });
      expect([bad.status, bad.body.code]).toEqual([400, 'invalid_request']);
      const busy = await rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { events: ['create'] });
      expect([busy.status, busy.body.code, busy.headers['retry-after']]).toEqual([409, 'conflict', '5']);
    } finally {
      events.captureWaitMs = waitMs;
      await held.release();
    }
    expect((await rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { events: ['create'] })).status).toBe(200);
  });
});
