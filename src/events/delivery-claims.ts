/**
 * Claims on outbox deliveries: the lease a worker takes before sending, and the ways it ends
 * other than with an attempt (renewed, expired, handed back).
 *
 * Claiming is one UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING: atomic on SQLite (one
 * writer at a time), and on PostgreSQL the inner SELECT takes `FOR UPDATE SKIP LOCKED`, so
 * several relay instances share a backlog without claiming the same delivery. A claim is a
 * lease (`locked_until`): a worker that dies mid-send loses its claims when the lease runs out
 * and another worker (or the restarted one) sends again with the same webhook-id.
 *
 * Kept on its own because this is where instances contend for the same rows: the locking and
 * ordering rules are easier to check without the rest of the outbox around them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, DeliveriesTable } from '../storage/schema.js';
import type { Storage } from '../storage/database.js';

export interface ClaimedDelivery extends DeliveriesTable {
  payload: string;
}

/** create < write < unlink: the order of two changes of one record recorded in the same instant. */
const KIND_RANK = (e: string) => sql.raw(`CASE ${e}.event WHEN 'create' THEN 0 WHEN 'write' THEN 1 ELSE 2 END`);

/**
 * Deliveries of one record go out in the order its changes happened: a delivery waits while an
 * earlier change of the same record (same subscription) is still pending or in flight. Without
 * this, a create waiting for its retry arrived after the record's update and deletion, and an
 * upserting workflow brought the deleted record back. Once the earlier one is delivered or
 * dead-lettered, the later ones go.
 *
 * Written as nested EXISTS so that every planner walks it the cheap way: the record's few
 * events by events(subscription_id, record_id), then each one's delivery by event_id. As a
 * three-way join, SQLite chose to scan every pending delivery for each candidate (a backlog of
 * 20,000 drained at 108/s instead of 2,000/s).
 */
const earlierUndelivered = sql`
  SELECT 1 FROM events e3
  WHERE e3.subscription_id = e2.subscription_id AND e3.record_id = e2.record_id AND e3.model = e2.model AND e3.id <> e2.id
    AND (e3.occurred_at < e2.occurred_at
      OR (e3.occurred_at = e2.occurred_at AND (e3.created_at < e2.created_at
        OR (e3.created_at = e2.created_at AND ${KIND_RANK('e3')} < ${KIND_RANK('e2')}))))
    AND EXISTS (SELECT 1 FROM deliveries d3 WHERE d3.event_id = e3.id AND d3.status IN ('pending', 'in_flight'))`;

/**
 * Claims up to `limit` due pending deliveries of active subscriptions of enabled accounts (a
 * subscription made while its owner was being disabled may have escaped the pause) for `workerId`, oldest
 * due first (the (status, next_attempt_at) index serves it). The lease is the subscription's
 * timeout twice (one round held for a busy receiver, one send) plus `leaseMarginMs`; `reclaimExpired` turns expired leases back into pending.
 * A delivery whose record has an earlier change still undelivered waits (`earlierUndelivered`).
 */
export async function claimDueDeliveries(
  storage: Pick<Storage, 'db' | 'dialect'>,
  workerId: string,
  limit: number,
  leaseMarginMs: number,
  now: number = Date.now(),
  /** Subscriptions to skip (their receiver's queue in this worker is full). */
  skipSubscriptions: readonly string[] = [],
): Promise<ClaimedDelivery[]> {
  const skip = skipSubscriptions.length ? sql`AND d2.subscription_id NOT IN (${sql.join(skipSubscriptions)})` : sql``;
  const lock = storage.dialect === 'postgres' ? sql`FOR UPDATE OF d2 SKIP LOCKED` : sql``;
  const result = await sql<DeliveriesTable>`
    UPDATE deliveries SET
      status = 'in_flight',
      locked_by = ${workerId},
      locked_until = CAST(${now + leaseMarginMs} AS bigint) + 2 * (SELECT s.timeout_ms FROM subscriptions s WHERE s.id = deliveries.subscription_id),
      format = COALESCE(format, (SELECT s.format FROM subscriptions s WHERE s.id = deliveries.subscription_id)),
      updated_at = ${now}
    WHERE id IN (
      SELECT d2.id FROM deliveries d2
      JOIN subscriptions s2 ON s2.id = d2.subscription_id
      JOIN users u2 ON u2.id = s2.user_id
      JOIN events e2 ON e2.id = d2.event_id
      WHERE d2.status = 'pending' AND d2.next_attempt_at <= ${now} AND s2.active = 1 AND u2.disabled_at IS NULL ${skip}
        AND NOT EXISTS (${earlierUndelivered})
      ORDER BY d2.next_attempt_at
      LIMIT ${limit}
      ${lock}
    )
    RETURNING *`.execute(storage.db);
  const claimed = result.rows;
  if (claimed.length === 0) return [];
  const payloads = await storage.db
    .selectFrom('events')
    .select(['id', 'payload'])
    .where('id', 'in', claimed.map((d) => d.event_id))
    .execute();
  const byId = new Map(payloads.map((p) => [p.id, p.payload]));
  return claimed.map((d) => ({ ...d, payload: byId.get(d.event_id) ?? '{}' }));
}

/**
 * Renews one claim's lease before a send that waited for its receiver's slot: false when the
 * claim is no longer the one this worker holds (its lease ran out meanwhile, and it was taken back
 * and maybe claimed again, by another worker or by this one). The claim is known by its lease end,
 * which every claim sets anew, so a second claim by the same worker does not pass for the first.
 */
export async function renewClaim(db: Kysely<Database>, workerId: string, claim: Pick<DeliveriesTable, 'id' | 'locked_until'>, leaseMarginMs: number, now: number = Date.now()): Promise<boolean> {
  if (claim.locked_until === null) return false;
  const r = await db
    .updateTable('deliveries')
    .set({
      locked_until: sql<number>`CAST(${now + leaseMarginMs} AS bigint) + 2 * (SELECT s.timeout_ms FROM subscriptions s WHERE s.id = deliveries.subscription_id)`,
      updated_at: now,
    })
    .where('id', '=', claim.id)
    .where('status', '=', 'in_flight')
    .where('locked_by', '=', workerId)
    .where('locked_until', '=', claim.locked_until)
    .executeTakeFirst();
  return Number(r.numUpdatedRows ?? 0) === 1;
}

/**
 * Claims whose lease ran out (their worker died or lost the database) become pending again,
 * due at once; they keep their webhook-id. Safe to run from every instance.
 */
export async function reclaimExpired(db: Kysely<Database>, now: number = Date.now()): Promise<number> {
  const r = await db
    .updateTable('deliveries')
    .set({ status: 'pending', locked_by: null, locked_until: null, next_attempt_at: now, updated_at: now })
    .where('status', '=', 'in_flight')
    .where('locked_until', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows ?? 0);
}

/**
 * Hands claims back untouched (e.g. the receiver's concurrency budget is full), due again
 * after `delayMs`. Only the worker holding the claim can release it.
 */
export async function releaseClaims(db: Kysely<Database>, workerId: string, ids: string[], delayMs: number, now: number = Date.now()): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('deliveries')
    .set({ status: 'pending', locked_by: null, locked_until: null, next_attempt_at: now + delayMs, updated_at: now })
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'in_flight')
    .execute();
}

/**
 * A single-worker database (SQLite) has no other worker to wait for: claims left by a crashed
 * process can be taken back at start-up instead of waiting for their leases.
 */
export async function releaseAllClaims(db: Kysely<Database>, now: number = Date.now()): Promise<number> {
  const r = await db
    .updateTable('deliveries')
    .set({ status: 'pending', locked_by: null, locked_until: null, next_attempt_at: now, updated_at: now })
    .where('status', '=', 'in_flight')
    .executeTakeFirst();
  return Number(r.numUpdatedRows ?? 0);
}
