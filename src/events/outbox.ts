/**
 * The transactional outbox: captured events and their deliveries are committed to the database
 * before anything is sent, and the worker claims due deliveries from here.
 *
 * This file holds what enters and leaves the outbox as a whole: events recorded with their first
 * delivery, and events pruned once all their work is finished. What happens to a delivery in
 * between has its own file, so each can be read and changed without the rest: claims
 * (delivery-claims.ts), attempt outcomes (delivery-attempts.ts), replay and the log the API
 * shows (delivery-log.ts).
 */
import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../storage/schema.js';
import { generateWebhookId } from './signing.js';

export interface NewEvent {
  id: string;
  subscriptionId: string;
  model: string;
  recordId: number;
  event: EventsTable['event'];
  source: EventsTable['source'];
  /** Serialized JSON EventPayload. */
  payload: string;
  occurredAt: number;
}

export const INSERT_CHUNK = 200;

/**
 * Stores events and one pending delivery per new event, in one transaction. Events already
 * stored (same id: the push hint and the poller saw the same change) are skipped.
 * Returns the ids of the events that were new.
 */
export async function recordEvents(db: Kysely<Database>, events: readonly NewEvent[], now: number = Date.now()): Promise<string[]> {
  if (events.length === 0) return [];
  const inserted: string[] = [];
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events.length; i += INSERT_CHUNK) {
      const chunk = dedupe(events.slice(i, i + INSERT_CHUNK));
      const rows = await trx
        .insertInto('events')
        .values(
          chunk.map((e) => ({
            id: e.id,
            subscription_id: e.subscriptionId,
            model: e.model,
            record_id: e.recordId,
            event: e.event,
            source: e.source,
            payload: e.payload,
            occurred_at: e.occurredAt,
            created_at: now,
          })),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .returning(['id', 'subscription_id'])
        .execute();
      if (rows.length === 0) continue;
      for (const r of rows) inserted.push(r.id);
      await trx
        .insertInto('deliveries')
        .values(
          rows.map((r) => ({
            id: generateWebhookId(now),
            event_id: r.id,
            subscription_id: r.subscription_id,
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: now,
            locked_by: null,
            locked_until: null,
            last_status: null,
            last_error: null,
            created_at: now,
            updated_at: now,
            delivered_at: null,
            format: null,
          })),
        )
        .execute();
    }
  });
  return inserted;
}

function dedupe(events: NewEvent[]): NewEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}

/** What a delivery is when no more work is due for it: only these are ever replayed or pruned. */
export const FINISHED: ('delivered' | 'failed')[] = ['delivered', 'failed'];

/**
 * Deletes events (with their deliveries and attempts) created before `before` whose deliveries
 * are all finished; pending or in-flight work is never pruned. Returns how many events went.
 *
 * The candidates are read first, but a replay may make one of their deliveries pending again
 * before the deletes run. So each delete checks the status itself: a delivery is deleted only
 * if it is still finished, its attempts only with it, its event only once no delivery of it is
 * left. On PostgreSQL a DELETE re-checks its condition on a row another transaction has just
 * changed, so a replay committed meanwhile is seen.
 */
export async function pruneFinishedEvents(db: Kysely<Database>, before: number, limit = 10_000): Promise<number> {
  const ids = await db
    .selectFrom('events as e')
    .select('e.id')
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.status', 'not in', FINISHED))),
    )
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  let deleted = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500).map((r) => r.id);
    deleted += await db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('deliveries').where('event_id', 'in', chunk).where('status', 'in', FINISHED).returning('id').execute();
      // The cascade does this too; written out so the attempts go with their delivery whatever the schema says.
      if (gone.length) await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', gone.map((d) => d.id)).execute();
      const r = await trx
        .deleteFrom('events')
        .where('id', 'in', chunk)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('deliveries as d').select('d.id').whereRef('d.event_id', '=', 'events.id'))))
        .executeTakeFirst();
      return Number(r.numDeletedRows ?? 0);
    });
  }
  return deleted;
}
