/**
 * The transactional outbox: captured events and their deliveries are committed to the database
 * before anything is sent, and the worker claims due deliveries from here.
 *
 * Claiming is one UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING: atomic on SQLite (one
 * writer at a time), and on PostgreSQL the inner SELECT takes `FOR UPDATE SKIP LOCKED`, so
 * several relay instances share a backlog without claiming the same delivery. A claim is a
 * lease (`locked_until`): a worker that dies mid-send loses its claims when the lease runs out
 * and another worker (or the restarted one) sends again with the same webhook-id.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, DeliveriesTable, EventsTable } from '../storage/schema.js';
import type { Storage } from '../storage/database.js';
import { generateWebhookId } from './signing.js';
import { streakChanges, type StreakChange } from './failure-streak.js';
import { disabledColumns } from './subscriptions-store.js';
import { isForeignKeyViolation } from '../storage/foreign-key-violation.js';

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

const INSERT_CHUNK = 200;

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

export interface AttemptRecord {
  deliveryId: string;
  subscriptionId: string;
  attempt: number;
  startedAt: number;
  durationMs: number;
  status: number | null;
  error: string | null;
  errorMessage: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** What the delivery becomes. */
  next: { status: 'delivered' } | { status: 'pending'; at: number } | { status: 'failed' };
  /** Set when the subscription must be disabled now (410 Gone). */
  disableReason?: string;
}

export interface CompletionOutcome {
  /** Subscriptions disabled by this batch, with the reason. */
  disabled: { subscriptionId: string; reason: string }[];
}

/**
 * Writes a batch of finished attempts in one transaction: the attempt log, the delivery's new
 * state (only if this worker still holds the claim), and the subscription's failure count.
 * `records` are in the order the sends finished: that order decides the count (`streakChanges`).
 */
export async function completeAttempts(
  db: Kysely<Database>,
  workerId: string,
  records: readonly AttemptRecord[],
  disableAfterFailures: number,
  now: number = Date.now(),
): Promise<CompletionOutcome> {
  // A delivery deleted with its subscription while it was being sent has nowhere for its attempt
  // to go: the foreign key refuses the whole transaction, which would leave every other delivery
  // of the batch claimed, to be sent again once the claims run out. Such deliveries are left out
  // and the batch written again (a second delete may land meanwhile, hence a few tries).
  let batch = records;
  for (let tries = 1; ; tries++) {
    try {
      return await completeBatch(db, workerId, batch, disableAfterFailures, now);
    } catch (err) {
      if (!isForeignKeyViolation(err) || tries >= 3) throw err;
      const ids = [...new Set(batch.map((r) => r.deliveryId))];
      const alive = new Set<string>();
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        for (const row of await db.selectFrom('deliveries').select('id').where('id', 'in', ids.slice(i, i + INSERT_CHUNK)).execute()) alive.add(row.id);
      }
      batch = batch.filter((r) => alive.has(r.deliveryId));
    }
  }
}

async function completeBatch(
  db: Kysely<Database>,
  workerId: string,
  records: readonly AttemptRecord[],
  disableAfterFailures: number,
  now: number,
): Promise<CompletionOutcome> {
  const disabled: CompletionOutcome['disabled'] = [];
  if (records.length === 0) return { disabled };
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < records.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('delivery_attempts')
        .values(
          records.slice(i, i + INSERT_CHUNK).map((r) => ({
            delivery_id: r.deliveryId,
            attempt: r.attempt,
            worker: workerId,
            started_at: r.startedAt,
            duration_ms: Math.round(r.durationMs),
            status: r.status,
            error: r.error,
            error_message: r.errorMessage,
            response_headers: Object.keys(r.responseHeaders).length ? JSON.stringify(r.responseHeaders) : null,
            response_body: r.responseBody || null,
          })),
        )
        .execute();
    }
    const delivered = records.filter((r) => r.next.status === 'delivered');
    // Status codes differ per delivery; one statement per distinct code keeps it batched.
    for (const [status, group] of groupBy(delivered, (r) => String(r.status))) {
      for (let i = 0; i < group.length; i += INSERT_CHUNK) {
        await trx
          .updateTable('deliveries')
          .set((eb) => ({
            status: 'delivered',
            attempts: eb('attempts', '+', 1),
            locked_by: null,
            locked_until: null,
            last_status: Number(status),
            last_error: null,
            delivered_at: now,
            updated_at: now,
          }))
          .where('id', 'in', group.slice(i, i + INSERT_CHUNK).map((r) => r.deliveryId))
          .where('locked_by', '=', workerId)
          .execute();
      }
    }
    // Failures are counted only where this worker still held the claim: a claim another worker
    // took over is sent again, and its outcome there counts. A success counts either way (the
    // receiver did answer 2xx).
    const counted = new Set<AttemptRecord>();
    for (const r of records) {
      if (r.next.status === 'delivered') continue;
      const res = await trx
        .updateTable('deliveries')
        .set((eb) => ({
          status: r.next.status,
          attempts: eb('attempts', '+', 1),
          next_attempt_at: r.next.status === 'pending' ? r.next.at : eb.ref('next_attempt_at'),
          locked_by: null,
          locked_until: null,
          last_status: r.status,
          last_error: r.error ?? (r.status !== null ? `HTTP ${r.status}` : null),
          updated_at: now,
        }))
        .where('id', '=', r.deliveryId)
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows ?? 0) > 0) counted.add(r);
    }
    const streaks = streakChanges(records, (r) =>
      r.next.status === 'delivered' ? 'success' : r.next.status === 'failed' && !r.disableReason && counted.has(r) ? 'failure' : undefined,
    );
    const gone = new Map<string, string>();
    for (const r of records) if (r.disableReason && counted.has(r) && !gone.has(r.subscriptionId)) gone.set(r.subscriptionId, r.disableReason);
    // Subscription rows are locked in id order, so two instances writing batches that touch the
    // same subscriptions wait for each other instead of deadlocking.
    for (const subscriptionId of [...new Set([...streaks.keys(), ...gone.keys()])].sort()) {
      const reason = gone.get(subscriptionId);
      if (reason) await disableIn(trx, subscriptionId, reason, now, disabled);
      const streak = streaks.get(subscriptionId);
      if (streak) await countStreak(trx, subscriptionId, streak, disableAfterFailures, now, disabled);
    }
  });
  return { disabled };
}

/**
 * Applies one batch's outcomes to the subscription's failure count in a single statement, so
 * the row's current value is read under its lock: a success sets the count to the failures that
 * finished after it, otherwise the failures are added to what other batches (other instances
 * too) left there.
 */
async function countStreak(
  trx: Transaction<Database>,
  id: string,
  streak: StreakChange<AttemptRecord>,
  disableAfterFailures: number,
  now: number,
  out: CompletionOutcome['disabled'],
): Promise<void> {
  const n = streak.failures.length;
  if (n === 0) {
    await trx.updateTable('subscriptions').set({ consecutive_failures: 0 }).where('id', '=', id).where('consecutive_failures', '>', 0).execute();
    return;
  }
  const sub = await trx
    .updateTable('subscriptions')
    .set((eb) => ({ consecutive_failures: streak.reset ? n : eb('consecutive_failures', '+', n) }))
    .where('id', '=', id)
    .returning(['consecutive_failures', 'active'])
    .executeTakeFirst();
  if (sub && sub.active === 1 && sub.consecutive_failures >= disableAfterFailures) {
    const last = streak.failures[n - 1]!;
    const reason = `${sub.consecutive_failures} consecutive deliveries failed (last: ${last.error ?? `HTTP ${last.status}`})`;
    await disableIn(trx, id, reason, now, out);
  }
}

async function disableIn(trx: Transaction<Database>, id: string, reason: string, now: number, out: CompletionOutcome['disabled']): Promise<void> {
  const r = await trx
    .updateTable('subscriptions')
    .set(disabledColumns(reason, now))
    .where('id', '=', id)
    .where('active', '=', 1)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows ?? 0) > 0) out.push({ subscriptionId: id, reason });
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** What a delivery is when no more work is due for it: only these are ever replayed or pruned. */
const FINISHED: ('delivered' | 'failed')[] = ['delivered', 'failed'];

export interface ReplaySelection {
  /** Specific deliveries (webhook-ids); otherwise every delivery matching `statuses`. */
  deliveryIds?: string[];
  /**
   * Default: failed deliveries (dead-lettered or given up after 410), or with `deliveryIds` any
   * finished one, delivered too: naming a delivery is asking for it again.
   */
  statuses?: ('failed' | 'delivered')[];
  /** Only deliveries created at or after this time (ms). */
  since?: number;
}

/**
 * Queues deliveries of a subscription again, with their original webhook-id (receivers that
 * did get one de-duplicate it). The attempt counter restarts so the retry schedule applies anew.
 * Only finished deliveries are touched: a pending or in-flight one is on its way already, and
 * resetting it would restart its retries or send it twice at once.
 */
export async function replayDeliveries(db: Kysely<Database>, subscriptionId: string, selection: ReplaySelection, now: number = Date.now()): Promise<ReplayOutcome> {
  const ids = selection.deliveryIds;
  let q = db
    .updateTable('deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, locked_by: null, locked_until: null, updated_at: now })
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', selection.statuses ?? (ids ? FINISHED : ['failed']));
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['']);
  if (selection.since !== undefined) q = q.where('created_at', '>=', selection.since);
  if (!ids) {
    const r = await q.executeTakeFirst();
    return { replayed: Number(r.numUpdatedRows ?? 0) };
  }
  // Named deliveries: say which were left alone and why, so a caller need not guess from a count.
  const replayed = new Set((await q.returning('id').execute()).map((r) => r.id));
  const left = [...new Set(ids)].filter((id) => !replayed.has(id));
  if (left.length === 0) return { replayed: replayed.size, skipped: [] };
  const found = await db.selectFrom('deliveries').select(['id', 'status']).where('subscription_id', '=', subscriptionId).where('id', 'in', left).execute();
  const statusOf = new Map(found.map((r) => [r.id, r.status]));
  return { replayed: replayed.size, skipped: left.map((id) => ({ id, status: statusOf.get(id) ?? 'unknown' })) };
}

/**
 * A replay's count, and with named deliveries the ones it left alone: `unknown` (not this
 * subscription's, or pruned), `pending`/`in_flight` (on their way already), or a finished
 * status the request's `status` or `since` did not select.
 */
export interface ReplayOutcome {
  replayed: number;
  skipped?: { id: string; status: DeliveriesTable['status'] | 'unknown' }[];
}

export interface DeliveryView {
  id: string;
  eventId: string;
  subscriptionId: string;
  status: DeliveriesTable['status'];
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
  eventType: string;
  recordId: number;
}

/** The delivery log of one subscription, newest first (for the API and the dashboard). */
export async function listDeliveries(
  db: Kysely<Database>,
  subscriptionId: string,
  options: { status?: DeliveriesTable['status']; limit?: number; before?: number; beforeId?: string } = {},
): Promise<DeliveryView[]> {
  let q = db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'd.subscription_id', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.created_at', 'd.delivered_at', 'e.model', 'e.event', 'e.record_id', 'e.source'])
    .where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(Math.min(options.limit ?? 100, 1000));
  if (options.status) q = q.where('d.status', '=', options.status);
  if (options.before !== undefined && options.beforeId !== undefined) {
    // Keyset on (created_at, id): one poll stores many deliveries in the same millisecond.
    const { before, beforeId } = options;
    q = q.where((eb) => eb.or([eb('d.created_at', '<', before), eb.and([eb('d.created_at', '=', before), eb('d.id', '<', beforeId)])]));
  } else if (options.before !== undefined) q = q.where('d.created_at', '<', options.before);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    eventType: r.source === 'test' ? `${r.model}.test` : `${r.model}.${r.event === 'create' ? 'created' : r.event === 'write' ? 'updated' : 'deleted'}`,
    recordId: r.record_id,
  }));
}

/** Every attempt of one delivery, oldest first. */
export async function listAttempts(db: Kysely<Database>, deliveryId: string) {
  return db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id', 'asc').execute();
}

/** Counts by status for one subscription (dashboard badges, re-enable prompt). */
export async function deliveryCounts(db: Kysely<Database>, subscriptionId: string): Promise<Record<DeliveriesTable['status'], number>> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('subscription_id', '=', subscriptionId)
    .groupBy('status')
    .execute();
  const out = { pending: 0, in_flight: 0, delivered: 0, failed: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

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
