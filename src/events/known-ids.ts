import type { Kysely, Updateable } from 'kysely';
import type { Database, SubscriptionCaptureTable } from '../storage/schema.js';
import type { IdRanges } from './id-ranges.js';
import { LOST_RACE, retryLostRaces } from '../storage/compare-and-set.js';
import { CaptureLeaseLost, type CaptureLease } from './capture-lease.js';

/** Compare-and-set attempts before giving up. */
const MAX_ATTEMPTS = 20;

/**
 * Changes a subscription's known ids (the records it has announced, which decide "created"
 * against "updated") and, in the same statement, any other capture columns.
 *
 * Two writers change the set concurrently: the poller, whose read of it is seconds old by the
 * time it writes (Odoo calls in between), and push hints, on any relay instance. Writing back
 * the set one of them had read dropped the ids the other added meanwhile, and an update right
 * after a create was then announced as a second creation. So `change` is applied to the value
 * stored now, by a compare-and-set on the column (retryLostRaces): no lock held across Odoo
 * calls, and the same on SQLite and PostgreSQL.
 * With `lease`, writes only while that capture lease is still held (a poll's cursor, a set-up's
 * snapshot) and throws CaptureLeaseLost otherwise.
 * Resolves false when the subscription's capture row is gone.
 */
export async function changeKnownIds(
  db: Kysely<Database>,
  subscriptionId: string,
  change: (stored: IdRanges | null) => IdRanges,
  also: Omit<Updateable<SubscriptionCaptureTable>, 'known_ids' | 'subscription_id'> = {},
  lease?: CaptureLease,
): Promise<boolean> {
  return retryLostRaces(
    async () => {
      const row = await db.selectFrom('subscription_capture').select(['known_ids', 'locked_by']).where('subscription_id', '=', subscriptionId).executeTakeFirst();
      if (!row) return false;
      if (lease && row.locked_by !== lease.owner) throw new CaptureLeaseLost(subscriptionId);
      const stored = row.known_ids;
      const next = JSON.stringify(change(stored === null ? null : (JSON.parse(stored) as IdRanges)));
      const result = await db
        .updateTable('subscription_capture')
        .set({ ...also, known_ids: next })
        .where('subscription_id', '=', subscriptionId)
        .where((eb) => (stored === null ? eb('known_ids', 'is', null) : eb('known_ids', '=', stored)))
        .$if(lease !== undefined, (q) => q.where('locked_by', '=', lease!.owner))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0 ? true : LOST_RACE;
    },
    MAX_ATTEMPTS,
    () => new Error(`known ids of subscription ${subscriptionId} kept changing under ${MAX_ATTEMPTS} attempts`),
  );
}
