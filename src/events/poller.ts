/**
 * Poll capture: any Odoo version, and the reconciling pass behind push capture.
 *
 * One `search_read` per poll (write_date/id cursor from poll-plan.ts, capped at a batch) and,
 * on a slower schedule, one `search` of ids to detect deletions — so a 100,000-record model
 * with 100 changes costs one call per poll, two when the sweep is due.
 * Polls of one subscription never overlap, nor overlap its capture set-up, also across relay
 * instances: a poll holds the subscription's capture lease (capture-lease.ts), renewed while
 * Odoo answers, however long that takes.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, SubscriptionCaptureTable, SubscriptionsTable } from '../storage/schema.js';
import type { OdooClient } from '../odoo/index.js';
import { planPollBatch, pollDomain, pollHorizon, sweepDeletions, DEFAULT_SETTLE_SECONDS, POLL_ORDER, type PolledRow, type PollCursor } from './poll-plan.js';
import { addIds, compressIds, expandRanges, subtractRanges, type IdRanges } from './id-ranges.js';
import { changeKnownIds } from './known-ids.js';
import { eventsForChanges, eventsForDeletions, fieldsToRead } from './capture-events.js';
import { detachPushRules, removePushRules } from './push-rules.js';
import { pauseSubscriptions, subscriptionsChanged } from './subscriptions-store.js';
import { recordEvents } from './outbox.js';
import { tryCaptureLease, type CaptureLease } from './capture-lease.js';
import { RepeatedFailureLog } from '../ops/repeated-failure.js';

export const POLL_BATCH = 500;

export interface PollDeps {
  db: Kysely<Database>;
  logger: Logger;
  /** The Odoo client of a subscription's connection. */
  clientFor(sub: SubscriptionsTable): Promise<OdooClient>;
  /** Called after events were committed (wakes the worker). */
  onEvents(count: number): void;
  intervals: { pollMs: number; reconcileMs: number; sweepMs: number };
  settleSeconds?: number;
  /** When this relay process started (ms): Odoo's posts before it had nowhere to go. */
  startedAt?: number;
  /** Capture lease length (default CAPTURE_LEASE_MS); renewed every third of it while a poll runs. */
  leaseMs?: number;
  /** The poller's clock, in ms (default Date.now). */
  clock?: () => number;
  /** The leases this relay holds (see CaptureLeaseOptions.held). */
  heldLeases?: Set<CaptureLease>;
  /** True while a change of the subscription waits in this process for its capture lease: the poll lets it go first. */
  changeWaiting?(subscriptionId: string): boolean;
  /**
   * The failure this process last logged per subscription: the same one again is logged at
   * debug. Kept by the process, not read from the row, so a restarted relay (or another
   * instance) says once what it finds failing.
   */
  pollFailures?: Map<string, string>;
}

/** Why a subscription whose owner is disabled stopped (the disable itself names the account). */
const OWNER_DISABLED = "paused: its owner's account is disabled";

/** Capture row for a new subscription: changes from the current second on, no backfill. */
export function initialCaptureRow(subscriptionId: string, now: number = Date.now()): SubscriptionCaptureTable {
  return {
    subscription_id: subscriptionId,
    cursor_write_date: new Date(Math.floor(now / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' '),
    cursor_ids: '[]',
    known_ids: null,
    known_since: null,
    // Capture set-up schedules the first poll once the known ids are in; until then, none.
    next_poll_at: now + 3_600_000,
    next_sweep_at: now + 3_600_000,
    last_poll_at: null,
    last_error: null,
    push_rules: null,
    locked_by: null,
    locked_until: null,
    last_push_at: null,
  };
}

/** The ids alive in Odoo (archived included: archiving is a write, not a deletion). */
async function liveIds(client: OdooClient, model: string, domain: unknown[]): Promise<number[]> {
  return (await client.executeKw(model, 'search', [domain], { context: { active_test: false } })) as number[];
}

/** The set the relay treats as already announced; filled once, before the first poll. */
export async function snapshotKnownIds(client: OdooClient, sub: SubscriptionsTable): Promise<IdRanges> {
  return compressIds(await liveIds(client, sub.model, sub.domain ? JSON.parse(sub.domain) : []));
}

export interface PollResult {
  events: number;
  odooCalls: number;
  more: boolean;
}

/**
 * Auto mode chose push because Odoo is 17+ and the relay has an ingest URL, but Odoo may still
 * be unable to reach that URL (hosted Odoo, a firewall). Changes that only the reconcile poll
 * saw prove it: switch the subscription to polling and remove the rules, whose webhook calls
 * would otherwise cost every write in Odoo a failed connection.
 */
async function fallBackToPolling(deps: PollDeps, sub: SubscriptionsTable, client: OdooClient, missed: number, lease: CaptureLease): Promise<boolean> {
  const note = `polling: the reconcile poll found ${missed} change(s) that Odoo did not push; Odoo seems unable to reach the relay's ingest URL`;
  // The switch and the rules' release happen only while this poll holds the lease: a poll that
  // lost it must not undo what the new holder set up.
  const detached = await detachPushRules(deps.db, sub.id, lease, (trx) =>
    trx.updateTable('subscriptions').set({ capture_effective: 'poll', capture_note: note }).where('id', '=', sub.id).execute(),
  );
  if (!detached) return false;
  if (detached.rules) {
    try {
      await removePushRules(client, detached.rules);
    } catch (err) {
      deps.logger.warn({ err, subscription: sub.id, rules: detached.rules }, 'could not remove the automation rules from Odoo');
    }
  }
  deps.logger.warn({ subscription: sub.id, missed }, 'push capture fell back to polling');
  subscriptionsChanged.raise();
  return true;
}

/**
 * From when a change missing from push proves that Odoo cannot reach the relay: not before this
 * process started (posts made while the relay was down went nowhere) nor before the
 * subscription last changed (a paused subscription ignores Odoo's posts; re-enabling or
 * editing it bumps `updated_at`), plus a grace of the settle time, which absorbs clock skew
 * between Odoo and the relay and transactions stamped before they commit. `occurredAt` is the
 * start of the change's second, so callers compare its end (`+ 1000`) with this.
 */
function pushExpectedSince(deps: PollDeps, sub: SubscriptionsTable): number {
  return Math.max(deps.startedAt ?? 0, sub.updated_at) + (deps.settleSeconds ?? DEFAULT_SETTLE_SECONDS) * 1000;
}

/**
 * Whether Odoo reached the relay after `since`: a pushed change was recorded, or a push post
 * arrived at any instance (its hint lost if that instance stopped before turning it into an
 * event). Either way a miss is not about reachability.
 */
async function pushedSince(db: Kysely<Database>, subscriptionId: string, since: number): Promise<boolean> {
  const posted = await db.selectFrom('subscription_capture').select('last_push_at').where('subscription_id', '=', subscriptionId).executeTakeFirst();
  if (posted?.last_push_at != null && posted.last_push_at > since) return true;
  const row = await db
    .selectFrom('events')
    .select('id')
    .where('subscription_id', '=', subscriptionId)
    .where('source', '=', 'push')
    .where('created_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * One poll of one subscription (plus the deletion sweep when due). Events are committed
 * before the cursor moves: a crash in between re-reads the same rows, whose event ids the
 * outbox already holds.
 */
export async function pollSubscription(deps: PollDeps, subId: string, now: number = (deps.clock ?? Date.now)()): Promise<PollResult | null> {
  const { db } = deps;
  // A change waiting for the lease (an edit, a delete) goes first; polls would otherwise take
  // the lease back-to-back while Odoo is slow and starve it. The poll stays due.
  if (deps.changeWaiting?.(subId)) return null;
  // The lease runs on this poll's clock, which starts at `now`.
  const started = Date.now();
  const clock = deps.clock ?? (() => now + Date.now() - started);
  const lease = await tryCaptureLease(db, subId, { leaseMs: deps.leaseMs, clock, held: deps.heldLeases });
  if (!lease) return null;
  let odooCalls = 0;
  try {
    // With its owner's disabled_at, read in the same query rather than one more per poll.
    const found = await db
      .selectFrom('subscriptions')
      .innerJoin('users', 'users.id', 'subscriptions.user_id')
      .selectAll('subscriptions')
      .select('users.disabled_at as owner_disabled_at')
      .where('subscriptions.id', '=', subId)
      .executeTakeFirst();
    const cap = await db.selectFrom('subscription_capture').selectAll().where('subscription_id', '=', subId).executeTakeFirst();
    if (!found || !cap || found.active !== 1) return null;
    const { owner_disabled_at: ownerDisabledAt, ...sub } = found;
    // A subscription made while its owner was being disabled escaped that pause: it pauses now.
    if (ownerDisabledAt !== null) {
      await pauseSubscriptions(db, { userId: sub.user_id }, OWNER_DISABLED);
      subscriptionsChanged.raise();
      return null;
    }
    const client = await deps.clientFor(sub);
    // Taken once, before the first poll; from then on the set changes by what each poll adds and removes.
    let snapshot: IdRanges | undefined;
    if (!cap.known_ids) {
      snapshot = await snapshotKnownIds(client, sub);
      odooCalls++;
    }
    let known: IdRanges = snapshot ?? (JSON.parse(cap.known_ids!) as IdRanges);
    const cursor: PollCursor = { writeDate: cap.cursor_write_date, idsAtWriteDate: JSON.parse(cap.cursor_ids) };
    const horizon = pollHorizon(new Date(now), deps.settleSeconds);
    // A snapshot taken now holds every record then in the domain, up to the settled horizon.
    const knownSince = snapshot ? horizon : cap.known_since;
    const domain = [...pollDomain(cursor, horizon), ...(sub.domain ? (JSON.parse(sub.domain) as unknown[]) : [])];
    const fields = fieldsToRead(sub);
    const rows = (await client.executeKw(sub.model, 'search_read', [domain], {
      ...(fields ? { fields } : {}),
      order: POLL_ORDER,
      limit: POLL_BATCH,
      context: { active_test: false },
    })) as PolledRow[];
    odooCalls++;
    const plan = planPollBatch({ cursor, rows, limit: POLL_BATCH, knownIds: known, knownSince });
    const events = await eventsForChanges(db, sub, plan.changes.map((c) => ({ row: c.row, event: c.event })), 'poll');
    if (plan.changes.length) known = addIds(known, plan.changes.map((c) => c.recordId));

    let deleted: number[] = [];
    let deletedRanges: IdRanges = [];
    let deletionEvents: typeof events = [];
    let nextSweepAt = cap.next_sweep_at;
    if (!plan.more && cap.next_sweep_at <= now) {
      // Between polls (this one's rows are in `known` already): see sweepDeletions.
      const sweep = sweepDeletions(known, await liveIds(client, sub.model, []));
      odooCalls++;
      deletedRanges = sweep.deleted;
      deleted = [...expandRanges(sweep.deleted)];
      nextSweepAt = now + deps.intervals.sweepMs;
      deletionEvents = await eventsForDeletions(db, sub, deleted, 'poll');
    }
    const newChanges = new Set(await recordEvents(db, events));
    const inserted = newChanges.size + (await recordEvents(db, deletionEvents)).length;
    // Changes the outbox did not hold yet, from when push was expected to announce them.
    const watchPush = sub.capture_mode === 'auto' && sub.capture_effective === 'push';
    const unpushed = watchPush ? events.filter((e) => newChanges.has(e.id) && e.occurredAt + 1000 > pushExpectedSince(deps, sub)) : [];
    let effective = sub.capture_effective;
    // Committed: the worker may send them now, whatever happens to the rest of this poll.
    if (inserted) deps.onEvents(inserted);
    if (unpushed.length && !(await pushedSince(db, sub.id, Math.min(...unpushed.map((e) => e.occurredAt))))) {
      // The reconcile poll found changes push should have announced and never did: Odoo cannot reach the relay.
      if (await fallBackToPolling(deps, sub, client, unpushed.length, lease)) effective = 'poll';
    }
    const interval = effective === 'push' ? deps.intervals.reconcileMs : deps.intervals.pollMs;
    // The known ids may have grown since this poll read them (push hints): this poll's own
    // additions and deletions are applied to what is stored now, not the set it read. Only
    // while the lease is still this poll's: a poll that lost it must not move the cursor of
    // the one that took over.
    const added = plan.changes.map((c) => c.recordId);
    await changeKnownIds(
      db,
      subId,
      (stored) => subtractRanges(addIds(stored ?? snapshot ?? [], added), deletedRanges),
      {
        cursor_write_date: plan.nextCursor.writeDate,
        cursor_ids: JSON.stringify(plan.nextCursor.idsAtWriteDate),
        ...(snapshot && { known_since: knownSince }),
        // From the poll's end, not its start: after a slow Odoo the next poll is not due at once,
        // and a change waiting for the lease gets its turn in between.
        next_poll_at: plan.more ? now : clock() + interval,
        next_sweep_at: nextSweepAt,
        last_poll_at: now,
        last_error: null,
      },
      lease,
    );
    if (deps.pollFailures?.delete(subId)) deps.logger.info({ subscription: subId }, 'poll works again');
    return { events: inserted, odooCalls, more: plan.more };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // An Odoo that stays down is logged once per subscription and failure, not at every poll.
    if (deps.pollFailures?.get(subId) === message) deps.logger.debug({ err, subscription: subId }, 'poll failed again');
    else {
      deps.logger.warn({ err, subscription: subId }, 'poll failed');
      deps.pollFailures?.set(subId, message);
    }
    await db
      .updateTable('subscription_capture')
      .set({ last_error: message.slice(0, 500), next_poll_at: clock() + deps.intervals.pollMs })
      .where('subscription_id', '=', subId)
      .where('locked_by', '=', lease.owner)
      .execute()
      .catch(() => undefined);
    return { events: 0, odooCalls, more: false };
  } finally {
    await lease.release().catch(() => undefined);
  }
}

/** Runs due polls on a timer; a few subscriptions at a time so one slow Odoo does not stall the rest. */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private tick: Promise<void> | undefined;
  /** A tick runs every second: while the database is away, one log line a minute. */
  private readonly tickFailures: RepeatedFailureLog;

  constructor(
    private readonly deps: PollDeps,
    private readonly tickMs: number,
    private readonly parallel = 4,
  ) {
    this.tickFailures = new RepeatedFailureLog(deps.logger, 'poller tick');
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling; waits for polls in progress, up to `waitMs` when given (Odoo may be stuck). */
  async stop(waitMs?: number): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (waitMs === undefined) return void (await this.tick);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.tick, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** Polls due subscriptions now (tests, and after a subscription is created). */
  async runOnce(now: number = Date.now()): Promise<void> {
    const due = await this.deps.db
      .selectFrom('subscription_capture as c')
      .innerJoin('subscriptions as s', 's.id', 'c.subscription_id')
      .select('c.subscription_id')
      .where('s.active', '=', 1)
      .where('c.next_poll_at', '<=', now)
      .orderBy('c.next_poll_at')
      .limit(100)
      .execute();
    const queue = due.map((d) => d.subscription_id);
    const work = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        // A full batch is followed by the next one right away.
        for (let i = 0; i < 100; i++) {
          const r = await pollSubscription(this.deps, id);
          if (!r?.more || this.stopped) break;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.parallel, queue.length) }, work));
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.tick = this.runOnce()
        .then(
          () => this.tickFailures.succeeded(),
          (err: unknown) => this.tickFailures.failed(err),
        )
        .finally(() => this.schedule(this.tickMs));
    }, ms);
    this.timer.unref();
  }
}
