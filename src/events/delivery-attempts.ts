/**
 * What a send leaves behind: the attempt log, the delivery's next state, and the subscription's
 * failure streak, which may disable it.
 *
 * Separate from claiming because this is where one worker's results meet other instances' on the
 * subscription row (failure counts, disabling), with its own ordering and retry rules.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { streakChanges, type StreakChange } from './failure-streak.js';
import { disabledColumns } from './subscriptions-store.js';
import { isForeignKeyViolation } from '../storage/foreign-key-violation.js';
import { INSERT_CHUNK } from './outbox.js';

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
