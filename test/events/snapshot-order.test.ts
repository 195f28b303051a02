/**
 * The changed-fields filter compares each change with a snapshot of the record's watched
 * values. A poll and a push hint can read one record at two versions and finish in either
 * order: the snapshot must end at the newer version, or a later change back to the older
 * values would look like no change and never be announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventsRig, type EventsRig } from './helpers.js';
import { eventsForChanges } from '../../src/events/capture-events.js';
import { getSubscriptionRow } from '../../src/events/subscriptions-store.js';

let rig: EventsRig;
beforeAll(async () => {
  rig = await startEventsRig({ noise: 'none' });
});
afterAll(() => rig?.close());

describe('record snapshots', () => {
  it('are never replaced by an older read of the record', async () => {
    const res = await rig.api('POST', '/api/v1/subscriptions', {
      model: 'res.partner',
      targetUrl: 'https://hooks.example.com/x',
      captureMode: 'poll',
      events: ['write'],
      changedFields: ['email'],
    });
    expect(res.status).toBe(201);
    const db = rig.relay.ctx.storage.db;
    const sub = await getSubscriptionRow(db, res.body.subscription.id);
    const id = 987_654;
    const snapshot = async () => db.selectFrom('record_snapshots').select(['vals', 'write_date']).where('subscription_id', '=', sub.id).where('record_id', '=', id).executeTakeFirst();

    // A push hint reads the record at 10:00:05 (email "done")...
    await eventsForChanges(db, sub, [{ row: { id, write_date: '2026-12-04 10:00:05', email: 'done' }, event: 'write' }], 'push');
    // ...then a poll that read it earlier, at 10:00:03 (email "sent"), finishes.
    await eventsForChanges(db, sub, [{ row: { id, write_date: '2026-12-04 10:00:03', email: 'sent' }, event: 'write' }], 'poll');
    expect(await snapshot()).toEqual({ vals: JSON.stringify({ email: 'done' }), write_date: '2026-12-04 10:00:05' });

    // So the user setting the email back to "sent" is a change, and it is announced.
    const back = await eventsForChanges(db, sub, [{ row: { id, write_date: '2026-12-04 10:01:00', email: 'sent' }, event: 'write' }], 'push');
    expect(back).toHaveLength(1);
    expect(JSON.parse(back[0]!.payload)).toMatchObject({ changed_fields: ['email'], data: { email: 'sent' } });
    expect(await snapshot()).toEqual({ vals: JSON.stringify({ email: 'sent' }), write_date: '2026-12-04 10:01:00' });
  });
});
