/**
 * Outbound events as one service per process: the delivery worker, the poller, the push
 * ingest (coalescing + re-read) and capture set-up for subscriptions. Routes, the CLI and the
 * dashboard call the exported methods; nothing else reaches into the events tables.
 */
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { Storage } from '../storage/database.js';
import type { SubscriptionsTable } from '../storage/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { EventsConfig } from '../config.js';
import type { OdooClientCache } from '../connections/client-cache.js';
import type { OdooClient } from '../odoo/index.js';
import { resolveConnection } from '../connections/store.js';
import { RelayError } from '../errors/index.js';
import { sha256Hex } from '../ids/random.js';
import { createGuardedAgent, type AddressPolicy } from './ssrf-guard.js';
import { DeliveryWorker } from './worker.js';
import { Poller, initialCaptureRow, snapshotKnownIds, type PollDeps } from './poller.js';
import { classifyChange, pollHorizon } from './poll-plan.js';
import { createPushRules, detachPushRules, removePushRules, PushRulesNotRecorded } from './push-rules.js';
import { CAPTURE_WAIT_MS, CaptureLeaseLost, releaseAllCaptureLeases, withCaptureLease, type CaptureLease } from './capture-lease.js';
import { ChangeCoalescer, parseOdooWebhookPost, type ChangeHint } from './coalesce.js';
import { eventsForChanges, eventsForDeletions, fieldsToRead, snapshotWatchedFields, type ReadRecord } from './capture-events.js';
import { recordEvents } from './outbox.js';
import { checkDefinition, refusalOfDomain, refusesDefinition } from './definition-check.js';
import { normalizeOdooDatetime } from './odoo-datetime.js';
import { addIds, subtractRanges, compressIds, expandRanges, hasId, type IdRanges } from './id-ranges.js';
import { changeKnownIds } from './known-ids.js';
import {
  checkSubscriptionPatch,
  createSubscription,
  deleteSubscriptionRow,
  getSubscriptionRow,
  restoreSubscriptionSettings,
  toSubscription,
  updateSubscription,
  subscriptionsChanged,
  type Subscription,
  type SubscriptionPatch,
} from './subscriptions-store.js';

export interface EventsServiceDeps {
  storage: Storage;
  box: SecretBox;
  logger: Logger;
  odooClients: OdooClientCache;
  config: EventsConfig;
  shutdownGraceMs: number;
}

const CAPTURE_FIELDS = new Set(['events', 'domain', 'changed_fields', 'capture_mode', 'model']);
/** The update fields that change CAPTURE_FIELDS (the model cannot be changed). */
const CAPTURE_INPUTS = ['events', 'domain', 'changedFields', 'captureMode'];
const INGEST_TICK_MS = 25;

export class EventsService {
  readonly addressPolicy: AddressPolicy;
  readonly dispatcher: Agent;
  readonly worker: DeliveryWorker;
  readonly poller: Poller;
  private readonly pollDeps: PollDeps;
  /** One coalescer per (subscription, rule): hints of different subscriptions never merge. */
  private readonly coalescers = new Map<string, ChangeCoalescer>();
  private readonly tokens = new Map<string, { subscriptionId: string; trigger: 'change' | 'unlink' }>();
  private ingestTimer: NodeJS.Timeout | undefined;
  private readonly hintWork = new Set<Promise<void>>();
  private started = false;
  private readonly offChanged: () => void;
  /**
   * How long a change to a subscription waits for its capture lease (a poll or another change
   * holds it) before answering `conflict`. Unset: long enough for a poll in progress, which may
   * wait on Odoo for three calls at the connection's timeout; at least CAPTURE_WAIT_MS.
   */
  captureWaitMs: number | undefined;
  /** The capture leases this instance holds, given up at shutdown (see stop). */
  private readonly heldLeases = new Set<CaptureLease>();
  /** Subscriptions with a change waiting for the capture lease in this process, and how many. */
  private readonly changesWaiting = new Map<string, number>();

  constructor(private readonly d: EventsServiceDeps) {
    this.addressPolicy = { allow: d.config.allowPrivateTargets };
    this.dispatcher = createGuardedAgent({ allow: d.config.allowPrivateTargets, agent: { connections: 256, pipelining: 1, keepAliveTimeout: 10_000 } });
    this.worker = new DeliveryWorker({
      storage: d.storage,
      box: d.box,
      logger: d.logger,
      dispatcher: this.dispatcher,
      addressPolicy: this.addressPolicy,
      concurrency: d.config.workerConcurrency,
      endpointConcurrency: d.config.endpointConcurrency,
      disableAfterFailures: d.config.disableAfterFailures,
      retryDelaysMs: d.config.retryDelaysMs,
    });
    this.pollDeps = {
      db: d.storage.db,
      logger: d.logger,
      clientFor: (sub) => this.clientFor(sub),
      onEvents: () => this.worker.wake(),
      intervals: { pollMs: d.config.pollIntervalMs, reconcileMs: d.config.reconcileIntervalMs, sweepMs: d.config.sweepIntervalMs },
      settleSeconds: d.config.pollSettleSeconds,
      startedAt: Date.now(),
      changeWaiting: (id) => this.changesWaiting.has(id),
      heldLeases: this.heldLeases,
      pollFailures: new Map(),
    };
    this.poller = new Poller(this.pollDeps, Math.min(1_000, d.config.pollIntervalMs));
    this.offChanged = subscriptionsChanged.subscribe(() => this.tokens.clear());
  }

  /** Starts the worker and the poller (when EVENTS_WORKER is on). */
  async start(): Promise<void> {
    if (!this.d.config.worker || this.started) return;
    this.started = true;
    // As with delivery claims: on SQLite one process runs the poller, so capture leases still
    // held belong to a run that ended mid-poll; free them rather than wait a lease out.
    if (this.d.storage.dialect === 'sqlite') {
      await releaseAllCaptureLeases(this.d.storage.db);
    }
    await this.worker.start();
    this.poller.start();
  }

  /** Graceful: stop taking work, let in-flight sends finish (up to the grace), flush pending hints. */
  async stop(): Promise<void> {
    this.offChanged();
    if (this.ingestTimer) clearInterval(this.ingestTimer);
    this.ingestTimer = undefined;
    // Hints waiting for their quiet time are turned into events now rather than lost.
    for (const [key, coalescer] of this.coalescers) {
      const hints = coalescer.flush();
      if (hints.length) this.track(this.processHints(key, hints));
    }
    await Promise.allSettled([...this.hintWork]);
    // Polls stuck in a slow Odoo get half the grace; then their leases are given up, so other
    // instances (or this one restarted) poll and change those subscriptions at once, not a
    // lease later. Such a poll's own later writes check the lease and land nowhere.
    await this.poller.stop(this.d.shutdownGraceMs / 2);
    await Promise.allSettled([...this.heldLeases].map((lease) => lease.release()));
    await this.worker.stop(this.d.shutdownGraceMs);
    // The grace is over: sends still running are cut off rather than waited for (close() would
    // wait out each one's timeout, up to a minute, past an orchestrator's kill). They keep their
    // claims and go again after a restart, with the same webhook-id.
    await this.dispatcher.destroy().catch(() => undefined);
  }

  async clientFor(sub: Pick<SubscriptionsTable, 'user_id' | 'connection_id'>): Promise<OdooClient> {
    const resolved = await resolveConnection(this.d.storage.db, sub.user_id, sub.connection_id);
    if (!resolved) throw new RelayError('no_odoo_connection');
    return this.d.odooClients.get(resolved.connection, resolved.secretEnc);
  }

  // ---- subscriptions (for routes, CLI and dashboard) ----

  // Set-up and teardown of one subscription's capture create and remove rules in the customer's
  // Odoo and record them in the capture row. Interleaved (two edits, an edit and a delete, a
  // delete during the set-up at creation), one of them recorded its rules over the other's or
  // into a row already deleted, and rules nothing refers to were left in Odoo. So each holds
  // the subscription's capture lease throughout, as polls do (capture-lease.ts).

  /** Creates a subscription and sets up its capture; the secret is returned this once. */
  async createSubscription(userId: string, body: unknown, appId: string | null = null): Promise<{ subscription: Subscription; secret: string }> {
    const deps = { db: this.d.storage.db, box: this.d.box, addressPolicy: this.addressPolicy };
    const created = await createSubscription(deps, userId, body, appId);
    await this.d.storage.db.insertInto('subscription_capture').values(initialCaptureRow(created.row.id)).execute();
    try {
      await this.withLease(created.row, async (lease) => {
        try {
          await this.setUpCapture(created.row, lease);
        } catch (err) {
          // Rules the set-up did record before it failed go with the subscription.
          await this.tearDownCapture(created.row, lease).catch((e) => this.d.logger.warn({ err: e, subscriptionId: created.row.id }, 'removing capture failed'));
          throw err;
        }
      });
    } catch (err) {
      await deleteSubscriptionRow(this.d.storage.db, created.row.id);
      throw err;
    }
    const row = await getSubscriptionRow(this.d.storage.db, created.row.id);
    return { subscription: toSubscription(row, this.d.box), secret: created.secret };
  }

  async updateSubscription(userId: string | undefined, id: string, body: unknown): Promise<Subscription> {
    // A malformed body is refused at once, not after waiting for the lease.
    const patch = checkSubscriptionPatch(body);
    const touchesCapture = CAPTURE_INPUTS.some((f) => patch[f as keyof typeof patch] !== undefined);
    if (!touchesCapture) return this.applyUpdate(userId, id, patch);
    // Ownership first: nobody waits for, or holds, the lease of a subscription that is not theirs.
    const row = await getSubscriptionRow(this.d.storage.db, id, userId);
    // The lease before the row changes: the settings written are those the rules are made for.
    return this.withLease(row, (lease) => this.applyUpdate(userId, id, patch, lease));
  }

  private async applyUpdate(userId: string | undefined, id: string, patch: SubscriptionPatch, lease?: CaptureLease): Promise<Subscription> {
    const deps = { db: this.d.storage.db, box: this.d.box, addressPolicy: this.addressPolicy };
    const { before, after } = await updateSubscription(deps, userId, id, patch);
    const captureChanged = [...CAPTURE_FIELDS].some((f) => before[f as keyof SubscriptionsTable] !== after[f as keyof SubscriptionsTable]);
    // A refused change is not kept: the subscription goes on as it was.
    const undo = async (err: unknown): Promise<never> => {
      await restoreSubscriptionSettings(this.d.storage.db, before, after);
      if (captureChanged && lease) await this.setUpCapture(before, lease).catch((e) => this.d.logger.warn({ err: e, subscriptionId: id }, 'restoring capture failed'));
      throw err;
    };
    if (captureChanged) {
      if (!lease) throw new Error(`capture of subscription ${id} changed without its lease`);
      await this.tearDownCapture(before, lease);
      await this.setUpCapture(after, lease).catch(undo);
    } else if (before.fields !== after.fields) {
      // The payload's fields are not part of capture, but an unknown one fails every delivery.
      try {
        await checkDefinition(await this.clientFor(after), after);
      } catch (err) {
        if (refusesDefinition(err)) await undo(err);
      }
    }
    if (after.active === 1 && before.active === 0) this.worker.wake();
    return toSubscription(await getSubscriptionRow(this.d.storage.db, id), this.d.box);
  }

  /** Removes the relay's rules from Odoo, then the subscription with its events and deliveries. */
  async deleteSubscription(userId: string | undefined, id: string): Promise<void> {
    const db = this.d.storage.db;
    const row = await getSubscriptionRow(db, id, userId);
    const hasCapture = await db.selectFrom('subscription_capture').select('subscription_id').where('subscription_id', '=', id).executeTakeFirst();
    // Without a capture row (its creation stopped halfway) there is nothing to tear down.
    if (!hasCapture) return deleteSubscriptionRow(db, id);
    await this.withLease(row, async (lease) => {
      await this.tearDownCapture(row, lease);
      await deleteSubscriptionRow(db, id);
    });
  }

  /** Runs a change of `row`'s capture holding its lease, with polls in this process standing back while it waits. */
  private async withLease<T>(row: Pick<SubscriptionsTable, 'id' | 'user_id' | 'connection_id'>, work: (lease: CaptureLease) => Promise<T>): Promise<T> {
    const waitMs = this.captureWaitMs ?? (await this.leaseWaitMs(row));
    const counts = this.changesWaiting;
    let waiting = true;
    const stopWaiting = () => {
      if (!waiting) return;
      waiting = false;
      const left = (counts.get(row.id) ?? 1) - 1;
      if (left > 0) counts.set(row.id, left);
      else counts.delete(row.id);
    };
    counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
    try {
      return await withCaptureLease(
        this.d.storage.db,
        row.id,
        waitMs,
        (lease) => {
          stopWaiting();
          return work(lease);
        },
        this.heldLeases,
      );
    } finally {
      stopWaiting();
    }
  }

  /** Long enough for a poll in progress: up to three Odoo calls at the connection's timeout. */
  private async leaseWaitMs(row: Pick<SubscriptionsTable, 'user_id' | 'connection_id'>): Promise<number> {
    const resolved = await resolveConnection(this.d.storage.db, row.user_id, row.connection_id);
    return Math.max(CAPTURE_WAIT_MS, 3 * (resolved?.connection.timeoutMs ?? 0) + 5_000);
  }

  // ---- capture set-up ----

  /**
   * Decides push or poll and prepares it. `auto` pushes when Odoo is 17+ and the relay has an
   * ingest URL Odoo can use; otherwise (or when Odoo refuses the rules) it polls and says why.
   */
  private async setUpCapture(row: SubscriptionsTable, lease: CaptureLease): Promise<void> {
    const db = this.d.storage.db;
    let client: OdooClient | undefined;
    let note: string | null = null;
    let effective: 'push' | 'poll' = 'poll';
    try {
      client = await this.clientFor(row);
      await checkDefinition(client, row);
      // Known ids first: the create/write decision and the deletion sweep need them. The set
      // stored now is the baseline: what polls and push hints add while the snapshot is taken
      // is kept on top of it (see below), the rest is replaced.
      const cap = await db.selectFrom('subscription_capture').select(['known_ids', 'cursor_write_date']).where('subscription_id', '=', row.id).executeTakeFirst();
      const before: IdRanges = cap?.known_ids ? JSON.parse(cap.known_ids) : [];
      const knownSince = pollHorizon(new Date(), this.d.config.pollSettleSeconds);
      const known = await snapshotKnownIds(client, row).catch((err: unknown) => {
        throw refusalOfDomain(err);
      });
      // Records last written in the cursor's (starting) second, before the subscription
      // existed, are not changes to report: mark them as already seen in that second.
      const seen = cap?.cursor_write_date
        ? ((await client.executeKw(row.model, 'search', [[['write_date', '>=', cap.cursor_write_date]]], { context: { active_test: false } })) as number[])
        : [];
      await snapshotWatchedFields(db, client, row, cap?.cursor_write_date ?? null);
      await changeKnownIds(
        db,
        row.id,
        (stored) => (stored ? addIds(known, expandRanges(subtractRanges(stored, before))) : known),
        { known_since: knownSince, ...(seen.length ? { cursor_ids: JSON.stringify([...seen].sort((a, b) => a - b)) } : {}) },
        lease,
      );
    } catch (err) {
      // Odoo answered and refused the model, a field or the domain: nothing to retry.
      if (refusesDefinition(err) || err instanceof CaptureLeaseLost) throw err;
      client = undefined;
      note = `Odoo not reachable at set-up (${errorText(err)}); the poller retries`;
      if (row.capture_mode === 'push') throw new RelayError('push_capture_unavailable', note);
    }
    if (client && row.capture_mode !== 'poll') {
      const ingest = this.d.config.ingestUrl;
      let reason: string | null = null;
      if (!ingest) reason = 'no ingest URL configured (EVENTS_INGEST_URL or PUBLIC_URL)';
      else {
        try {
          const version = await client.version();
          if (version.major < 17) reason = `Odoo ${version.serverVersion} has no webhook server actions (17+ needed)`;
        } catch (err) {
          reason = `Odoo version unknown (${errorText(err)})`;
        }
      }
      if (!reason) {
        try {
          await createPushRules(db, client, row, ingest!, lease, this.d.logger);
          effective = 'push';
        } catch (err) {
          // The database failing, or the lease lost, is no reason to poll instead.
          if (err instanceof PushRulesNotRecorded || err instanceof CaptureLeaseLost) throw err;
          reason = `Odoo refused the automation rules (${errorText(err)})`;
        }
      }
      if (reason) {
        if (row.capture_mode === 'push') throw new RelayError('push_capture_unavailable', `Push capture unavailable: ${reason}`);
        note = `polling: ${reason}`;
      }
    }
    const interval = effective === 'push' ? this.d.config.reconcileIntervalMs : this.d.config.pollIntervalMs;
    await db.transaction().execute(async (trx) => {
      // Only while this set-up holds the lease: a holder that took over decides the mode now.
      const scheduled = await trx
        .updateTable('subscription_capture')
        .set({ next_poll_at: Date.now() + Math.min(interval, this.d.config.pollIntervalMs), next_sweep_at: Date.now() + this.d.config.sweepIntervalMs })
        .where('subscription_id', '=', row.id)
        .where('locked_by', '=', lease.owner)
        .executeTakeFirst();
      if (Number(scheduled.numUpdatedRows ?? 0) === 0) throw new CaptureLeaseLost(row.id);
      await trx.updateTable('subscriptions').set({ capture_effective: effective, capture_note: note }).where('id', '=', row.id).execute();
    });
    subscriptionsChanged.raise();
  }

  private async tearDownCapture(row: SubscriptionsTable, lease: CaptureLease): Promise<void> {
    // Off the row first, and only while the lease is held; then out of Odoo.
    const detached = await detachPushRules(this.d.storage.db, row.id, lease);
    if (!detached) throw new CaptureLeaseLost(row.id);
    subscriptionsChanged.raise();
    if (!detached.rules) return;
    try {
      await removePushRules(await this.clientFor(row), detached.rules);
    } catch (err) {
      // The rules then post to a token that no longer exists and get 404s; say which to delete.
      this.d.logger.warn({ err, subscription: row.id, rules: detached.rules }, 'could not remove the automation rules from Odoo');
    }
  }

  // ---- push ingest ----

  /**
   * Takes one post of an Odoo webhook action. Only looks the token up (cached) and queues a
   * hint: the answer must come back within milliseconds, Odoo waits for it.
   */
  async ingest(token: string, body: unknown): Promise<'queued' | 'ignored'> {
    const hash = sha256Hex(token);
    let rule = this.tokens.get(hash);
    if (rule === undefined) {
      const row = await this.d.storage.db.selectFrom('ingest_tokens').select(['subscription_id', 'trigger']).where('token_hash', '=', hash).executeTakeFirst();
      // An unknown token is asked again next time, as an unknown API key is: Odoo's rule posts
      // as soon as it exists, before the instance setting it up has recorded its token, and an
      // instance that remembered "unknown" refused that rule's posts for good.
      if (!row) throw new RelayError('unknown_ingest_token');
      rule = { subscriptionId: row.subscription_id, trigger: row.trigger };
      if (this.tokens.size > 10_000) this.tokens.clear();
      this.tokens.set(hash, rule);
    }
    const signal = parseOdooWebhookPost(body);
    if (!signal) return 'ignored';
    const key = `${rule.subscriptionId}\u0000${rule.trigger}`;
    let coalescer = this.coalescers.get(key);
    if (!coalescer) {
      coalescer = new ChangeCoalescer({ quietMs: this.d.config.coalesceQuietMs, maxWaitMs: Math.max(1_000, this.d.config.coalesceQuietMs * 10) });
      this.coalescers.set(key, coalescer);
    }
    // Once per change, not per post: Odoo posts one change many times (a partner create, 13), and
    // the first post already proves that Odoo reached the relay after the change.
    if (!coalescer.holds(signal)) this.track(this.notePushReceived(rule.subscriptionId));
    for (const evicted of coalescer.offer(signal, Date.now())) this.track(this.processHints(key, [evicted]));
    this.armIngestTimer();
    return 'queued';
  }

  private armIngestTimer(): void {
    if (this.ingestTimer) return;
    this.ingestTimer = setInterval(() => {
      const now = Date.now();
      let pending = 0;
      for (const [key, coalescer] of this.coalescers) {
        const due = coalescer.due(now);
        if (due.length) this.track(this.processHints(key, due));
        pending += coalescer.size;
        if (coalescer.size === 0) this.coalescers.delete(key);
      }
      if (pending === 0 && this.ingestTimer) {
        clearInterval(this.ingestTimer);
        this.ingestTimer = undefined;
      }
    }, Math.max(5, Math.min(INGEST_TICK_MS, this.d.config.coalesceQuietMs || INGEST_TICK_MS)));
  }

  /**
   * Records that Odoo reached the relay, where every instance's reconcile poll sees it: the hint
   * itself lives in this process until its record is re-read, and dies with it.
   */
  private async notePushReceived(subscriptionId: string): Promise<void> {
    try {
      await this.d.storage.db.updateTable('subscription_capture').set({ last_push_at: Date.now() }).where('subscription_id', '=', subscriptionId).execute();
    } catch (err) {
      this.d.logger.warn({ err, subscription: subscriptionId }, 'could not record a push post');
    }
  }

  private track(work: Promise<void>): void {
    this.hintWork.add(work);
    void work.finally(() => this.hintWork.delete(work));
  }

  /** Re-reads the hinted records through the API (pushed values are not trusted) and records events. */
  private async processHints(key: string, hints: ChangeHint[]): Promise<void> {
    const [subscriptionId, trigger] = key.split('\u0000') as [string, 'change' | 'unlink'];
    const db = this.d.storage.db;
    try {
      const sub = await db.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).executeTakeFirst();
      if (!sub || sub.active !== 1) return;
      const ids = [...new Set(hints.filter((h) => h.model === sub.model).map((h) => h.recordId))];
      if (!ids.length) return;
      const client = await this.clientFor(sub);
      const cap = await db.selectFrom('subscription_capture').select(['known_ids', 'known_since', 'cursor_write_date']).where('subscription_id', '=', sub.id).executeTakeFirst();
      const known: IdRanges = cap?.known_ids ? JSON.parse(cap.known_ids) : [];
      // Applied to the known ids stored when this hint is done, not to the set read above.
      let changeKnown: (stored: IdRanges) => IdRanges;
      const fields = fieldsToRead(sub);
      let events;
      if (trigger === 'unlink') {
        // The rule posts before the delete commits: only records really gone are deletions, read
        // without the domain (a live record outside it is not deleted), and only those the relay
        // announced (as the poller's deletion sweep): a post naming any other id reports nothing.
        const alive = new Set((await client.executeKw(sub.model, 'search', [[['id', 'in', ids]]], { context: { active_test: false } })) as number[]);
        const gone = ids.filter((id) => !alive.has(id) && hasId(known, id));
        events = await eventsForDeletions(db, sub, gone, 'push');
        changeKnown = (stored) => subtractRanges(stored, compressIds(gone));
      } else {
        const domain = [['id', 'in', ids], ...(sub.domain ? (JSON.parse(sub.domain) as unknown[]) : [])];
        const rows = (await client.executeKw(sub.model, 'search_read', [domain], { ...(fields ? { fields } : {}), context: { active_test: false } })) as ReadRecord[];
        // Odoo also posts for records it did not change (a company write posts for each child
        // contact). A record whose write_date is before the poll cursor was already covered by
        // the poller (or predates the subscription): nothing new to report.
        const cursor = cap?.cursor_write_date ?? null;
        const fresh = rows.filter((r) => {
          const wd = normalizeOdooDatetime(r.write_date);
          return wd === null || cursor === null || wd >= cursor;
        });
        events = await eventsForChanges(db, sub, fresh.map((row) => ({ row, event: classifyChange(row, known, cap?.known_since ?? cursor) })), 'push');
        changeKnown = (stored) => addIds(stored, fresh.map((r) => r.id));
      }
      await changeKnownIds(db, sub.id, (stored) => changeKnown(stored ?? []));
      if ((await recordEvents(db, events)).length > 0) this.worker.wake();
    } catch (err) {
      // The reconciling poll picks the change up later.
      this.d.logger.warn({ err, subscription: subscriptionId }, 'push hint could not be processed');
    }
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}
