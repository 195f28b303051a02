/**
 * The known ids decide "created" against "updated". The poller and push hints both change them,
 * each after Odoo calls made since its read: neither may drop what the other added meanwhile.
 * On SQLite and on PostgreSQL, through a real relay and the Odoo test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { holdingFirstRead } from '../helpers/hold-first-read.js';
import { startEventsRig, odoo, pollByHand, type EventsRig } from './helpers.js';
import { changeKnownIds } from '../../src/events/known-ids.js';
import { pollSubscription, type PollDeps } from '../../src/events/poller.js';
import { addIds, expandRanges, type IdRanges } from '../../src/events/id-ranges.js';
import type { OdooClient } from '../../src/odoo/index.js';

/** The client, running `then` each time Odoo has answered one of its `method` calls: another writer's turn. */
function afterOdoo(client: OdooClient, method: string, then: () => Promise<unknown>): OdooClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'executeKw') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<OdooClient['executeKw']>) => {
        const answer = await target.executeKw(...args);
        if (args[1] === method) await then();
        return answer;
      };
    },
  });
}

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await createTestDatabase() })],
])('known ids on %s', (_name, env) => {
  let rig: EventsRig;
  let receiver: WebhookReceiver;
  let subId: string;

  beforeAll(async () => {
    rig = await startEventsRig({ env: await env() });
    receiver = await startReceiver();
    subId = await pollByHand(rig, { targetUrl: receiver.url, fields: ['name'] });
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await rig?.close();
  });

  const db = () => rig.relay.ctx.storage.db;
  const stored = async (): Promise<number[]> => {
    const row = await db().selectFrom('subscription_capture').select('known_ids').where('subscription_id', '=', subId).executeTakeFirstOrThrow();
    return [...expandRanges(JSON.parse(row.known_ids!) as IdRanges)];
  };
  /** What a push hint for `ids` does to the set, as service.ts applies it. */
  const pushAdds = (ids: number[]) => changeKnownIds(db(), subId, (known) => addIds(known ?? [], ids));

  it('applies a change to the value stored when it writes, retrying when another writer got there first', async () => {
    const before = await stored();
    let calls = 0;
    // This write has read the set; another writer changes it before the write is made.
    const held = holdingFirstRead(db(), 'subscription_capture');
    const writing = changeKnownIds(
      held.db,
      subId,
      (known) => {
        calls++;
        return addIds(known ?? [], [900_002]);
      },
      { last_error: 'set with the ids' },
    );
    await held.read;
    await pushAdds([900_001]);
    held.release();
    const written = await writing;
    expect(written).toBe(true);
    expect(calls).toBe(2);
    const after = await stored();
    expect(after).toEqual(expect.arrayContaining([...before, 900_001, 900_002]));
    expect(after).toHaveLength(before.length + 2);
    const row = await db().selectFrom('subscription_capture').select('last_error').where('subscription_id', '=', subId).executeTakeFirstOrThrow();
    expect(row.last_error).toBe('set with the ids');
  });

  it('answers false for a subscription without a capture row', async () => {
    expect(await changeKnownIds(db(), 'sub_missing', () => [[1, 1]])).toBe(false);
  });

  it('keeps the ids a push hint added while a poll was talking to Odoo', async () => {
    // A record changed in a settled second, for the poll to find.
    const polled = await odoo(rig, 'res.partner', 'create', [{ name: 'Polled during a push' }]);
    await new Promise((r) => setTimeout(r, 1100));
    const deps = (rig.relay.ctx.events as any).pollDeps as PollDeps;
    const pushed = 900_100 + Math.floor(Math.random() * 1000);
    // The push hint lands between the poll's read of the set and its write: while Odoo answers the poll.
    const racing: PollDeps = { ...deps, clientFor: async (sub) => afterOdoo(await deps.clientFor(sub), 'search_read', () => pushAdds([pushed])) };
    const poll = await pollSubscription(racing, subId);
    expect(poll!.events).toBeGreaterThanOrEqual(1);
    const recorded = await db().selectFrom('events').select('event').where('subscription_id', '=', subId).where('record_id', '=', polled).execute();
    expect(recorded).toEqual([{ event: 'create' }]);
    const known = await stored();
    expect(known).toContain(polled);
    expect(known).toContain(pushed);
  });

  it('keeps the ids a push hint added while capture was set up again (a changed domain)', async () => {
    const events = rig.relay.ctx.events;
    const clientFor = events.clientFor.bind(events);
    const pushed = 901_100 + Math.floor(Math.random() * 1000);
    // The push hint lands while the set-up takes its snapshot of the live ids.
    events.clientFor = async (sub) => afterOdoo(await clientFor(sub), 'search', () => pushAdds([pushed]));
    try {
      const patched = await rig.api('PATCH', `/api/v1/subscriptions/${subId}`, { domain: [['id', '>', 0]] });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    } finally {
      events.clientFor = clientFor;
    }
    const known = await stored();
    expect(known).toContain(pushed);
    // The snapshot itself is in: the live records of the new domain.
    const live = (await odoo(rig, 'res.partner', 'search', [[['id', '>', 0]]], { context: { active_test: false } })) as number[];
    expect(known).toEqual(expect.arrayContaining(live));
  });
});
