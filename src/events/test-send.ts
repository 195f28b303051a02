/**
 * Test-send: one synthetic event for a subscription, queued through the normal outbox so it is
 * signed, retried and logged exactly like a real one (and shows up in the delivery log).
 * Its type is `<model>.test`; `record_id` is 0 and `data` says it is a test. Otherwise it is shaped
 * like a real event (an `evt_` + 32 hex id, `data.id`), so a receiver that validates the id or
 * reads `data.id` handles the test as it will handle real events.
 */
import type { Kysely } from 'kysely';
import type { Database, SubscriptionsTable } from '../storage/schema.js';
import { randomBytes } from 'node:crypto';
import { recordEvents } from './outbox.js';
import type { EventPayload, RecordEvent } from './payload.js';

export async function enqueueTestEvent(db: Kysely<Database>, sub: SubscriptionsTable, now: number = Date.now()): Promise<{ deliveryId: string; eventId: string }> {
  const events = JSON.parse(sub.events) as RecordEvent[];
  const eventId = `evt_${randomBytes(16).toString('hex')}`;
  const payload: EventPayload = {
    id: eventId,
    type: `${sub.model}.test`,
    timestamp: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    model: sub.model,
    record_id: 0,
    event: events[0] ?? 'create',
    data: { id: 0, test: true, message: 'Test event sent from odoo-relay' },
  };
  await recordEvents(
    db,
    [{ id: eventId, subscriptionId: sub.id, model: sub.model, recordId: 0, event: payload.event, source: 'test', payload: JSON.stringify(payload), occurredAt: now }],
    now,
  );
  const delivery = await db.selectFrom('deliveries').select('id').where('event_id', '=', eventId).executeTakeFirstOrThrow();
  return { deliveryId: delivery.id, eventId };
}
