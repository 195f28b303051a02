/**
 * One holder at a time for a subscription's capture: a poll, or capture set-up and teardown,
 * which create and remove rules in the customer's Odoo and record them in the capture row.
 * Interleaved, two of them left rules in Odoo that no row referred to any more, and two polls
 * ran the same subscription at once.
 *
 * A lease on the capture row (`locked_by`, `locked_until`) rather than a database lock: it is
 * held across Odoo calls of seconds to minutes, works alike on SQLite and PostgreSQL, and across
 * relay instances sharing one database. It is short and renewed while held, so no fixed length
 * has to outlast the slowest Odoo (connection timeouts go up to 10 minutes, and one holder makes
 * several calls); a holder that dies stops renewing and another takes over one lease later.
 * A write that must not land after the lease was lost (renewals failing for a whole lease)
 * checks `locked_by` in its own condition.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { RelayError } from '../errors/index.js';

/** How long a lease lasts unless renewed; it is renewed every third of this while held. */
export const CAPTURE_LEASE_MS = 60_000;

/** How long a change to a subscription waits for its capture lease by default. */
export const CAPTURE_WAIT_MS = 30_000;

export interface CaptureLease {
  readonly subscriptionId: string;
  /** The holder's token, in `locked_by` while the lease is held. */
  readonly owner: string;
  /** Stops renewing and gives the lease up, if it is still this holder's. */
  release(): Promise<void>;
}

export interface CaptureLeaseOptions {
  /** Lease length (default CAPTURE_LEASE_MS). */
  leaseMs?: number;
  /** The holder's clock, in ms (default Date.now). */
  clock?: () => number;
  /**
   * The leases this relay holds: a lease is in it from taken to given up, so that shutdown can
   * give up what polls stuck in Odoo still hold instead of leaving it to run out.
   */
  held?: Set<CaptureLease>;
}

/** Thrown by a write whose lease another holder has taken meanwhile. */
export class CaptureLeaseLost extends RelayError {
  constructor(subscriptionId: string) {
    super('conflict', `The capture of subscription ${subscriptionId} was taken over by another request or relay instance; try again`);
  }
}

/** Takes the lease if it is free or ran out; null when another holder has it (or there is no capture row). */
export async function tryCaptureLease(db: Kysely<Database>, subscriptionId: string, options: CaptureLeaseOptions = {}): Promise<CaptureLease | null> {
  const leaseMs = options.leaseMs ?? CAPTURE_LEASE_MS;
  const clock = options.clock ?? Date.now;
  const owner = `lease_${crypto.randomBytes(12).toString('base64url')}`;
  const now = clock();
  const taken = await db
    .updateTable('subscription_capture')
    .set({ locked_by: owner, locked_until: now + leaseMs })
    .where('subscription_id', '=', subscriptionId)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows ?? 0) === 0) return null;

  const mine = () => db.updateTable('subscription_capture').where('subscription_id', '=', subscriptionId).where('locked_by', '=', owner);
  let renewing: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // A failed renewal is retried on the next tick; a lease lost for good is caught by the holder's conditional writes.
    renewing ??= mine()
      .set({ locked_until: clock() + leaseMs })
      .execute()
      .catch(() => undefined)
      .finally(() => (renewing = undefined));
  }, Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();
  const lease: CaptureLease = {
    subscriptionId,
    owner,
    async release() {
      clearInterval(timer);
      options.held?.delete(lease);
      await renewing;
      await mine().set({ locked_by: null, locked_until: null }).execute();
    },
  };
  options.held?.add(lease);
  return lease;
}

/** Frees every capture lease: for a relay that knows no other process can hold one (SQLite, at start-up). */
export async function releaseAllCaptureLeases(db: Kysely<Database>): Promise<void> {
  await db.updateTable('subscription_capture').set({ locked_by: null, locked_until: null }).where('locked_until', 'is not', null).execute();
}

/**
 * Waits up to `waitMs` for the lease (a poll or another change of the subscription may hold
 * it), runs `work` holding it, and gives it up. Refuses with `conflict` when the wait is over,
 * `not_found` when the subscription's capture row is gone.
 */
export async function withCaptureLease<T>(
  db: Kysely<Database>,
  subscriptionId: string,
  waitMs: number,
  work: (lease: CaptureLease) => Promise<T>,
  held?: Set<CaptureLease>,
): Promise<T> {
  const until = Date.now() + waitMs;
  let pause = 25;
  for (;;) {
    const lease = await tryCaptureLease(db, subscriptionId, { held });
    if (lease) {
      try {
        return await work(lease);
      } finally {
        // Not given up (the database failing): it runs out by itself one lease later.
        await lease.release().catch(() => undefined);
      }
    }
    const row = await db.selectFrom('subscription_capture').select('subscription_id').where('subscription_id', '=', subscriptionId).executeTakeFirst();
    if (!row) throw new RelayError('not_found', `No subscription ${subscriptionId.slice(0, 64)}`);
    if (Date.now() + pause > until) {
      throw new RelayError('conflict', 'This subscription is being polled or changed by another request; try again shortly', undefined, { 'retry-after': '5' });
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 500);
  }
}
