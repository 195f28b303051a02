/**
 * Turns the bursts of Odoo's native webhook action into one hint per real change.
 *
 * Odoo 17+ `base.automation` webhooks post once per internal write: a single create arrives as
 * 13 identical POSTs, a write on a company also posts for its child contacts and twice for the
 * company (see odoo-fixtures/automation-webhook). A post is only a hint that a record changed:
 * the worker re-reads the record, so all we need is one hint per (model, id, write_date).
 *
 * Hints are released on the trailing edge, once the key has been quiet for `quietMs`: the
 * re-read then happens after the burst has settled and sees the final state. `maxWaitMs`
 * bounds the delay when a record is written continuously.
 *
 * Pure state machine: time is passed in, nothing runs on its own. The owner calls `due(now)`
 * on a timer (see `nextDueAt`).
 */
import { z } from 'zod';
import { normalizeOdooDatetime } from './odoo-datetime.js';
import { MODEL_NAME } from '../odoo/names.js';

export interface ChangeSignal {
  model: string;
  recordId: number;
  /** Normalized to seconds (`YYYY-MM-DD HH:MM:SS`) so push and poll agree; null if not posted. */
  writeDate: string | null;
}

export interface ChangeHint extends ChangeSignal {
  /** How many posts this hint stands for (diagnostics: 13 for one create in Odoo 19). */
  posts: number;
  firstSeenAt: number;
  lastSeenAt: number;
}

const odooWebhookPost = z.looseObject({
  _model: z.string().regex(MODEL_NAME),
  _id: z.number().int().positive(),
  write_date: z.unknown().optional(),
});

/**
 * The change an Odoo webhook-action body announces, or `null` if it is not one.
 * `write_date` is only present when the action lists it in `webhook_field_ids`; without it,
 * two real changes inside one window merge (harmless: the re-read sees the latest state).
 */
export function parseOdooWebhookPost(body: unknown): ChangeSignal | null {
  const parsed = odooWebhookPost.safeParse(body);
  if (!parsed.success) return null;
  return {
    model: parsed.data._model,
    recordId: parsed.data._id,
    writeDate: normalizeOdooDatetime(parsed.data.write_date),
  };
}

export interface CoalescerOptions {
  /** Release a hint once its key has had no post for this long. */
  quietMs?: number;
  /** …or at the latest this long after its first post. */
  maxWaitMs?: number;
  /** Bound on pending keys; beyond it the oldest pending hints are released early. */
  maxPending?: number;
}

export const DEFAULT_QUIET_MS = 1_000;
export const DEFAULT_MAX_WAIT_MS = 10_000;
export const DEFAULT_MAX_PENDING = 10_000;

function keyOf(signal: ChangeSignal): string {
  return `${signal.model}\u0000${signal.recordId}\u0000${signal.writeDate ?? ''}`;
}

export class ChangeCoalescer {
  private readonly pending = new Map<string, ChangeHint>();
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly maxPending: number;

  constructor(options: CoalescerOptions = {}) {
    this.quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** Whether a post of this change is already waiting here (the next one only adds to its count). */
  holds(signal: ChangeSignal): boolean {
    return this.pending.has(keyOf(signal));
  }

  /**
   * Record one post at `now`. Returns hints forced out by the `maxPending` bound (usually
   * none); regular releases come from `due`.
   */
  offer(signal: ChangeSignal, now: number): ChangeHint[] {
    const key = keyOf(signal);
    const existing = this.pending.get(key);
    if (existing) {
      existing.posts += 1;
      existing.lastSeenAt = now;
      return [];
    }
    this.pending.set(key, { ...signal, posts: 1, firstSeenAt: now, lastSeenAt: now });
    const evicted: ChangeHint[] = [];
    // Map iteration order is insertion order: the first entries are the oldest.
    for (const [oldKey, hint] of this.pending) {
      if (this.pending.size <= this.maxPending) break;
      this.pending.delete(oldKey);
      evicted.push(hint);
    }
    return evicted;
  }

  /** Hints whose burst is over at `now`, oldest first; they are removed from the pending set. */
  due(now: number): ChangeHint[] {
    const released: ChangeHint[] = [];
    for (const [key, hint] of this.pending) {
      if (now >= this.releaseAt(hint)) {
        this.pending.delete(key);
        released.push(hint);
      }
    }
    return released;
  }

  /** When the next hint becomes due, to arm a single timer; null when nothing is pending. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const hint of this.pending.values()) {
      const at = this.releaseAt(hint);
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Everything pending, e.g. on shutdown. */
  flush(): ChangeHint[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    return all;
  }

  get size(): number {
    return this.pending.size;
  }

  private releaseAt(hint: ChangeHint): number {
    return Math.min(hint.lastSeenAt + this.quietMs, hint.firstSeenAt + this.maxWaitMs);
  }
}
