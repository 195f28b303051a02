/**
 * The delivery worker: claims due deliveries from the outbox, signs and sends them, and writes
 * each attempt's outcome back. Completions are written in batches (one transaction for every
 * attempt that finished since the last write), which is what lets one SQLite file keep up
 * with thousands of deliveries a second.
 */
import type { Logger } from 'pino';
import { RepeatedFailureLog } from '../ops/repeated-failure.js';
import type { Dispatcher } from 'undici';
import type { Storage } from '../storage/database.js';
import type { SubscriptionsTable } from '../storage/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { newId } from '../ids/random.js';
import { claimDueDeliveries, reclaimExpired, releaseAllClaims, releaseClaims, renewClaim, type ClaimedDelivery } from './delivery-claims.js';
import { completeAttempts, type AttemptRecord } from './delivery-attempts.js';
import { customHeadersOf, secretRotationOf, subscriptionsChanged } from './subscriptions-store.js';
import { signDelivery, signingSecrets, type SecretRotation } from './signing.js';
import { sendWebhook, type SendResult } from './sender.js';
import { secretMask } from '../secrets/secret-mask.js';
import { decideAfterAttempt, DEFAULT_RETRY_DELAYS_MS, type DeliveryError } from './retry-schedule.js';
import { serializePayload } from './payload.js';
import { endpointKey, KeyedSemaphore } from './concurrency.js';
import type { AddressPolicy } from './ssrf-guard.js';
import { storableText } from '../storage/text-refusal.js';

export interface WorkerOptions {
  storage: Storage;
  box: SecretBox;
  logger: Logger;
  dispatcher: Dispatcher;
  addressPolicy: AddressPolicy;
  concurrency: number;
  endpointConcurrency: number;
  disableAfterFailures: number;
  retryDelaysMs?: readonly number[];
  /** How often to look for due deliveries when nothing woke the worker (ms). */
  idlePollMs?: number;
  /** Added to the subscription timeout to form a claim's lease (ms). */
  leaseMarginMs?: number;
  /** Called when a subscription gets disabled by delivery outcomes. */
  onDisabled?: (subscriptionId: string, reason: string) => void;
  random?: () => number;
}

interface CachedSubscription {
  row: SubscriptionsTable;
  loadedAt: number;
  /** Decrypted once per load, not once per delivery. */
  rotation: SecretRotation;
  headers: Record<string, string>;
  /** Masks the custom header values and signing secrets in what the receiver answered. */
  maskEcho: (text: string) => string;
}

/** A subscription whose sealed secret or headers did not open: its deliveries fail unsent. */
interface UnreadableSubscription {
  row: SubscriptionsTable;
  unreadable: true;
}

const SUBSCRIPTION_CACHE_MS = 2_000;
const UNREADABLE_MESSAGE =
  "the subscription's signing secret or custom headers cannot be decrypted with this relay's master key: rotate its secret and save its headers again";
const ENDPOINT_BUSY_DELAY_MS = 100;
const RECLAIM_EVERY_MS = 1_000;
/** Attempt outcomes are written in batches of up to this many, or after this delay. */
const FLUSH_BATCH = 256;
const FLUSH_DELAY_MS = 10;

export class DeliveryWorker {
  readonly id = newId('wrk');
  private running = false;
  /** Set once stop() has written the last outcomes: later ones (sends cut off by shutdown) are dropped. */
  private stopped = false;
  private inFlight = 0;
  /** Claimed deliveries waiting here for a slot of their endpoint. */
  private held = 0;
  private readonly waiting = new Map<string, ClaimedDelivery[]>();
  private loopPromise: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly endpoints: KeyedSemaphore;
  private readonly subscriptions = new Map<string, CachedSubscription>();
  private completions: AttemptRecord[] = [];
  private flushing: Promise<void> | undefined;
  /** Claims run every idle tick: while the database is away, one log line a minute, not four a second. */
  private readonly claimFailures: RepeatedFailureLog;
  private readonly reclaimFailures: RepeatedFailureLog;
  /** Added to a subscription's timeout to form a claim's lease, at claim and at renewal alike. */
  private readonly leaseMarginMs: number;
  private readonly idle = new Set<() => void>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Free slots worth a claim while sends are in flight. */
  private readonly claimThreshold: number;
  /**
   * Most deliveries held for a busy endpoint, in all and per endpoint: a quarter of the slots.
   * Held ones count against the concurrency too, so with a queue of a full endpoint's worth each,
   * two slow receivers at the defaults (or one, with an endpoint limit of half the slots) held
   * every slot and a fast receiver waited for their timeouts.
   */
  private readonly maxHeld: number;
  private readonly maxHeldPerEndpoint: number;
  private readonly unsubscribe: () => void;
  /** Deliveries completed by this worker (diagnostics, bench). */
  delivered = 0;
  attempted = 0;

  constructor(private readonly o: WorkerOptions) {
    this.endpoints = new KeyedSemaphore(o.endpointConcurrency);
    this.claimThreshold = Math.max(1, Math.floor(o.concurrency / 4));
    this.maxHeld = this.claimThreshold;
    this.maxHeldPerEndpoint = Math.min(o.endpointConcurrency, this.maxHeld);
    this.unsubscribe = subscriptionsChanged.subscribe(() => this.subscriptions.clear());
    this.claimFailures = new RepeatedFailureLog(o.logger, 'claiming deliveries');
    this.reclaimFailures = new RepeatedFailureLog(o.logger, 'reclaiming expired claims');
    this.leaseMarginMs = o.leaseMarginMs ?? 5_000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // With SQLite only one process may run a worker on the file, so claims still marked
    // in flight belong to a process that died: take them back now rather than after the lease.
    if (this.o.storage.dialect === 'sqlite') {
      const n = await releaseAllClaims(this.o.storage.db);
      if (n) this.o.logger.warn({ deliveries: n }, 'took back deliveries left in flight by a previous run');
    }
    this.running = true;
    this.stopped = false;
    this.loopPromise = this.loop();
  }

  /** New work was committed: look now instead of at the next idle tick. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming, waits up to `graceMs` for in-flight sends, then writes their outcomes. */
  async stop(graceMs = 10_000): Promise<void> {
    this.unsubscribe();
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopPromise;
    if (this.inFlight > 0 || this.held > 0) {
      await Promise.race([new Promise<void>((r) => this.idle.add(r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    await this.flush();
    // Anything still in flight keeps its claim and is re-sent after the lease (same webhook-id):
    // its send is cut off now (EventsService.stop) and its outcome, if any comes, not written.
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    const idlePollMs = this.o.idlePollMs ?? 250;
    let lastReclaim = 0;
    while (this.running) {
      const now = Date.now();
      if (now - lastReclaim >= RECLAIM_EVERY_MS) {
        lastReclaim = now;
        await reclaimExpired(this.o.storage.db, now).then(
          () => this.reclaimFailures.succeeded(),
          (err: unknown) => this.reclaimFailures.failed(err),
        );
      }
      const free = this.o.concurrency - this.inFlight - this.held;
      let claimed: ClaimedDelivery[] = [];
      // Claim in chunks, not one per finished send: every claim is a write transaction.
      if (free >= this.claimThreshold || (this.inFlight === 0 && this.held === 0)) {
        try {
          claimed = await claimDueDeliveries(this.o.storage, this.id, Math.min(free, 500), this.leaseMarginMs, Date.now(), this.saturatedSubscriptions());
          this.claimFailures.succeeded();
        } catch (err) {
          this.claimFailures.failed(err);
        }
      }
      const busy: string[] = [];
      // Known subscriptions first, so the endpoint budget applies from the first delivery.
      for (const id of new Set(claimed.map((d) => d.subscription_id))) await this.subscription(id).catch(() => undefined);
      for (const delivery of claimed) {
        if (!this.dispatch(delivery)) busy.push(delivery.id);
      }
      if (busy.length) await releaseClaims(this.o.storage.db, this.id, busy, ENDPOINT_BUSY_DELAY_MS).catch((err) => this.o.logger.error({ err }, 'releasing claims failed'));
      // Sleep until enough slots are free (wake) or the idle tick.
      await this.sleep(idlePollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        done();
      };
    });
  }

  /**
   * Starts sending one delivery, or holds it until its endpoint has a free slot; false when
   * the endpoint already has a full queue here (the claim goes back to the database).
   * At most `maxHeldPerEndpoint` (no more than `endpointConcurrency`) are held per endpoint, so a
   * held delivery waits for at most one round of sends. Its lease (twice its own timeout plus a margin) does not always cover
   * that: another subscription on the same receiver may have a longer timeout. So a held
   * delivery's claim is renewed before it is sent, and it is not sent when the claim was lost
   * meanwhile (it went back to pending and was, or will be, sent under another claim).
   */
  private dispatch(delivery: ClaimedDelivery): boolean {
    const sub = this.subscriptions.get(delivery.subscription_id);
    // No row (deleted) or no parsable URL: no budget to respect, deliver() sorts it out.
    const key = sub ? safeEndpointKey(sub.row.target_url) : undefined;
    if (!key) {
      this.launch(delivery, () => {});
      return true;
    }
    const release = this.endpoints.tryAcquire(key);
    if (release) {
      this.launch(delivery, release, key);
      return true;
    }
    const queue = this.waiting.get(key) ?? [];
    if (queue.length >= this.maxHeldPerEndpoint || this.held >= this.maxHeld) return false;
    queue.push(delivery);
    this.waiting.set(key, queue);
    this.held += 1;
    return true;
  }

  private launch(delivery: ClaimedDelivery, release: () => void, key?: string, held = false): void {
    this.inFlight += 1;
    void (held ? this.sendIfStillClaimed(delivery) : this.deliver(delivery))
      .catch((err) => this.o.logger.error({ err, delivery: delivery.id }, 'delivery crashed'))
      .finally(() => {
        this.inFlight -= 1;
        const next = key ? this.waiting.get(key)?.shift() : undefined;
        if (next) {
          // Hand the endpoint's slot straight to the next held delivery.
          this.held -= 1;
          if (this.waiting.get(key!)!.length === 0) this.waiting.delete(key!);
          this.launch(next, release, key, true);
        } else {
          release();
        }
        if (this.inFlight === 0 && this.held === 0) for (const r of this.idle) r();
        const free = this.o.concurrency - this.inFlight - this.held;
        if (free === this.claimThreshold || (this.inFlight === 0 && this.held === 0)) this.wake();
      });
  }

  /** Sends a delivery that waited for its endpoint's slot, once its claim is renewed (see dispatch). */
  private async sendIfStillClaimed(delivery: ClaimedDelivery): Promise<void> {
    // A database that cannot renew cannot tell whether the claim still holds: not sent now, the
    // delivery is taken back once its lease ends and sent then.
    if (!(await renewClaim(this.o.storage.db, this.id, delivery, this.leaseMarginMs).catch(() => false))) return;
    await this.deliver(delivery);
  }

  /** Subscriptions whose endpoint queue here is full: the next claim skips them. */
  private saturatedSubscriptions(): string[] {
    const full = new Set<string>();
    // An endpoint with deliveries held has every slot busy: with no room left to hold more (for it,
    // or at all), its subscriptions' deliveries are not claimed until it frees up.
    for (const [key, queue] of this.waiting) if (queue.length >= this.maxHeldPerEndpoint || this.held >= this.maxHeld) full.add(key);
    if (full.size === 0) return [];
    return [...this.subscriptions.values()].filter((c) => full.has(safeEndpointKey(c.row.target_url) ?? '')).map((c) => c.row.id);
  }

  private async subscription(id: string): Promise<CachedSubscription | UnreadableSubscription | undefined> {
    const cached = this.subscriptions.get(id);
    if (cached && Date.now() - cached.loadedAt < SUBSCRIPTION_CACHE_MS) return cached;
    const row = await this.o.storage.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) {
      this.subscriptions.delete(id);
      return undefined;
    }
    let rotation: SecretRotation;
    let headers: Record<string, string>;
    try {
      rotation = secretRotationOf(row, this.o.box);
      headers = customHeadersOf(row, this.o.box);
    } catch {
      // Not cached: a new secret set over the API is used at the next delivery.
      this.subscriptions.delete(id);
      return { row, unreadable: true };
    }
    const maskEcho = secretMask([...Object.values(headers), rotation.current, ...rotation.previous.map((p) => p.secret)]);
    const entry = { row, loadedAt: Date.now(), rotation, headers, maskEcho };
    this.subscriptions.set(id, entry);
    return entry;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const cached = await this.subscription(delivery.subscription_id);
    if (!cached) return; // deleted meanwhile: its deliveries went with it
    if ('unreadable' in cached) return this.failUnsent(delivery, cached.row, 'secret_unreadable', UNREADABLE_MESSAGE);
    const sub = cached.row;
    const startedAt = Date.now();
    // The format of the first attempt (set when it was claimed): a retry or replay carries the
    // same body under its webhook-id even if the subscription's format changed since.
    const format = delivery.format ?? sub.format;
    const { body, contentType } = serializePayload(delivery.payload, format);
    const headers = signDelivery({
      secret: signingSecrets(cached.rotation, startedAt),
      webhookId: delivery.id,
      timestamp: new Date(startedAt),
      body,
    });
    const result = await sendWebhook({
      url: sub.target_url,
      body,
      contentType,
      headers,
      customHeaders: cached.headers,
      timeoutMs: sub.timeout_ms,
      dispatcher: this.o.dispatcher,
      addressPolicy: this.o.addressPolicy,
    });
    this.complete(delivery, sub, startedAt, result, cached.maskEcho);
  }

  /**
   * Fails an attempt that sent nothing, as a failed send would: it is retried on the schedule and
   * counts toward disabling the subscription, instead of being claimed again at every lease's end.
   */
  private failUnsent(delivery: ClaimedDelivery, sub: SubscriptionsTable, error: DeliveryError, errorMessage: string): void {
    this.o.logger.error({ subscription: sub.id, delivery: delivery.id, error }, errorMessage);
    const result: SendResult = { ok: false, error, errorMessage, responseHeaders: {}, responseBodyPrefix: '', durationMs: 0 };
    this.complete(delivery, sub, Date.now(), result, (text) => text);
  }

  /** Decides what follows an attempt and queues its outcome to be written. */
  private complete(delivery: ClaimedDelivery, sub: SubscriptionsTable, startedAt: number, result: SendResult, maskEcho: (text: string) => string): void {
    const attempt = delivery.attempts + 1;
    const decision = decideAfterAttempt(
      { ok: result.ok, status: result.status, error: result.error, retryAfter: result.retryAfter },
      { attempt, retries: sub.retries, random: this.o.random ?? Math.random, schedule: this.o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS },
    );
    this.attempted += 1;
    if (decision.kind === 'delivered') this.delivered += 1;
    const record: AttemptRecord = {
      deliveryId: delivery.id,
      subscriptionId: sub.id,
      attempt,
      startedAt,
      durationMs: result.durationMs,
      status: result.status ?? null,
      error: result.error ?? null,
      // A receiver may echo the request: what it sent back is stored without the subscription's
      // secrets, and without NULs, which PostgreSQL refuses (the whole batch would fail with it).
      errorMessage: result.errorMessage === undefined ? null : storableText(maskEcho(result.errorMessage)),
      responseHeaders: Object.fromEntries(Object.entries(result.responseHeaders).map(([name, value]) => [name, storableText(maskEcho(value))])),
      responseBody: storableText(maskEcho(result.responseBodyPrefix)),
      next:
        decision.kind === 'delivered'
          ? { status: 'delivered' }
          : decision.kind === 'retry'
            ? { status: 'pending', at: Date.now() + decision.delayMs }
            : { status: 'failed' },
    };
    if (decision.kind === 'disable') record.disableReason = `receiver answered 410 Gone (${sub.target_url})`;
    if (this.stopped) return;
    // The slot is free once the send is done; the outcome is written with others a moment
    // later (the delivery stays claimed until then, so nobody sends it meanwhile).
    this.completions.push(record);
    if (this.completions.length >= FLUSH_BATCH) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes every completion queued so far; concurrent callers share one write. */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.flushing) return this.flushing.then(() => (this.completions.length ? this.flush() : undefined));
    if (this.completions.length === 0) return Promise.resolve();
    const batch = this.completions;
    this.completions = [];
    this.flushing = completeAttempts(this.o.storage.db, this.id, batch, this.o.disableAfterFailures)
      .then(({ disabled }) => {
        for (const d of disabled) {
          this.subscriptions.delete(d.subscriptionId);
          this.o.logger.warn({ subscription: d.subscriptionId, reason: d.reason }, 'subscription disabled');
          this.o.onDisabled?.(d.subscriptionId, d.reason);
        }
      })
      .catch((err) => {
        // The claims stay in flight and their leases expire: the deliveries are sent again.
        this.o.logger.error({ err, attempts: batch.length }, 'recording delivery attempts failed');
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }
}

function safeEndpointKey(url: string): string | undefined {
  try {
    return endpointKey(url);
  } catch {
    return undefined;
  }
}
