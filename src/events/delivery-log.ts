/**
 * The delivery log as the API and the dashboard use it: replaying finished deliveries, and the
 * listings and counts shown per subscription.
 *
 * Kept apart from the worker's path (claims, attempts): these run when a user asks, not in the
 * send loop, and only read the log or touch finished deliveries.
 */
import type { Kysely } from 'kysely';
import type { Database, DeliveriesTable } from '../storage/schema.js';
import { FINISHED } from './outbox.js';

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
