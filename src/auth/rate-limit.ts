import { RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sql, type Kysely } from 'kysely';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { RelayError } from '../errors/index.js';
import { thenMaybe, type MaybePromise } from '../async/maybe-promise.js';
import { WindowCounter } from './window-counter.js';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window ends (ms since the epoch), rounded up to the second. */
  resetAt: number;
  /** Exactly how long until the window ends. */
  msBeforeNext: number;
}

/**
 * Fixed one-minute windows per API key. In memory the decision is at hand at once; from
 * PostgreSQL it comes as a promise.
 */
export interface RateLimiter {
  consume(key: string, perMinute: number): MaybePromise<RateLimitDecision>;
  /** Gives back one request counted in the key's current window. */
  refund(key: string, perMinute: number): MaybePromise<void>;
}

const WINDOW_SECONDS = 60;

/**
 * Deletes counters whose window ended over an hour ago. The library's own clean-up is off
 * (every instance would run it); without this the login throttle's rows, one per username and
 * address tried, would pile up for good.
 */
export async function pruneExpiredRateLimits(db: Kysely<Database>, now = Date.now()): Promise<void> {
  await db.deleteFrom('rate_limits').where('expire', '<', now - 3_600_000).execute();
}

/**
 * rate-limiter-flexible over PostgreSQL, so that several relay instances sharing a database
 * share one counter per key.
 */
export function databaseRateLimiter(storage: Storage): RateLimiter {
  return limiterFamily((points) => postgresLimiter(storage, { points, duration: WINDOW_SECONDS, keyPrefix: keyPrefixFor(points) }));
}

/** One counter per key and limit: a changed limit counts in a row of its own (see limiterFamily). */
function keyPrefixFor(points: number): string {
  return `rl${points}`;
}

/**
 * Starts a key's window afresh under a limit it was just given. The database keeps a counter per
 * limit, so a limit the key had earlier in this minute (5, then 6, then 5 again) would otherwise
 * pick up that limit's count, spent or not. The in-memory counter starts afresh by itself.
 */
export async function startFreshWindow(db: Kysely<Database>, grant: { id: string } | { idPrefix: string }, perMinute: number): Promise<void> {
  // rate-limiter-flexible stores `${keyPrefix}:${key}`.
  const stored = `${keyPrefixFor(perMinute)}:${'id' in grant ? grant.id : grant.idPrefix}`;
  let q = db.deleteFrom('rate_limits');
  // An app's grants (one per user it acts for) share a prefix; compared as text, not LIKE, whose `_` is a wildcard.
  q = 'id' in grant ? q.where('key', '=', stored) : q.where(sql`substr(key, 1, ${stored.length})`, '=', stored);
  await q.execute();
}

/**
 * A rate-limiter-flexible counter in the `rate_limits` table (created by migration 0002, pruned
 * by housekeeping: the library's own clean-up is off, every instance would run it). Key
 * prefixes keep the API keys' and the login throttle's counters apart.
 */
export function postgresLimiter(storage: Pick<Storage, 'pgPool'>, limit: { points: number; duration: number; keyPrefix: string }): RateLimiterPostgres {
  return new RateLimiterPostgres({ storeClient: storage.pgPool, tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false, ...limit });
}

/**
 * In-process counters, for SQLite: an SQLite relay is one process by nature, and a counter in
 * memory costs well under a microsecond where a database write per request would cost more
 * than the request. A restart forgets at most one minute's counts.
 */
export function memoryRateLimiter(): RateLimiter {
  const counter = new WindowCounter(WINDOW_SECONDS * 1000);
  return {
    consume(key, perMinute) {
      const now = Date.now();
      const hit = counter.hit(key, perMinute, now);
      return decision(hit.count <= perMinute, perMinute, perMinute - hit.count, hit.endsAt - now, now);
    },
    refund(key) {
      counter.unhit(key, Date.now());
    },
  };
}

/**
 * One limiter object per distinct limit, since the library fixes `points` per object; the key
 * prefix carries the limit so that changing a key's limit starts a fresh window.
 */
function limiterFamily(create: (points: number) => RateLimiterAbstract): RateLimiter {
  const limiters = new Map<number, RateLimiterAbstract>();
  const limiterFor = (points: number): RateLimiterAbstract => {
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = create(points);
      limiters.set(points, limiter);
    }
    return limiter;
  };

  return {
    // Not an async wrapper: this runs on every call, and the library's promise is enough.
    consume(key, perMinute) {
      return limiterFor(perMinute)
        .consume(key, 1)
        .then(
          (res) => decision(true, perMinute, res.remainingPoints, res.msBeforeNext),
          (err: unknown) => {
            if (err instanceof RateLimiterRes) return decision(false, perMinute, err.remainingPoints, err.msBeforeNext);
            throw err;
          },
        );
    },
    async refund(key, perMinute) {
      await limiterFor(perMinute).reward(key, 1);
    },
  };
}

function decision(allowed: boolean, limit: number, remaining: number, msBeforeNext: number, now = Date.now()): RateLimitDecision {
  // Rounded up to the second: the window's end read at different milliseconds is the same
  // instant, so its ISO text can be reused, and a client waiting until then is never early.
  const resetAt = Math.ceil((now + msBeforeNext) / 1000) * 1000;
  return { allowed, limit, remaining: Math.max(0, remaining), resetAt, msBeforeNext };
}

/** The last reset instant formatted: every call in a window reports the same one. */
let lastReset = { ms: NaN, iso: '' };

/** ISO 8601 text of a reset instant (ms since the epoch), formatted once per distinct instant rather than per call. */
export function resetIso(resetAt: number): string {
  if (lastReset.ms !== resetAt) lastReset = { ms: resetAt, iso: new Date(resetAt).toISOString() };
  return lastReset.iso;
}

/** Rate limit response headers, as the seed documents them (reset in ISO 8601). */
export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': resetIso(d.resetAt),
  };
}

/**
 * Spends one request of an API key's budget: sets the X-RateLimit-* headers on the reply and,
 * over the limit, throws 429 with the seed's body fields (`limit`, `resetAt`) and Retry-After
 * (or rejects, when the decision came from the database).
 */
export function enforceKeyRateLimit(
  limiter: RateLimiter,
  key: { id: string; rateLimit: number },
  reply: { headers(values: Record<string, string>): unknown },
  onLimited: () => void,
): MaybePromise<void> {
  return thenMaybe(limiter.consume(key.id, key.rateLimit), (decision) => applyDecision(decision, reply, onLimited));
}

function applyDecision(decision: RateLimitDecision, reply: { headers(values: Record<string, string>): unknown }, onLimited: () => void): void {
  // A refusal's headers travel with its error (rateLimitedError), like every 429's.
  if (decision.allowed) return void reply.headers(rateLimitHeaders(decision));
  onLimited();
  throw rateLimitedError(decision);
}

/** The 429 of a spent budget, with the seed's body fields (`limit`, `resetAt`) and Retry-After. */
export function rateLimitedError(decision: RateLimitDecision): RelayError {
  const resetAt = resetIso(decision.resetAt);
  const retryAfter = Math.max(1, Math.ceil(decision.msBeforeNext / 1000));
  // The headers are the refusing budget's: a refusal by the failed-signature budget must not
  // carry the key's own budget (with requests left) from earlier in the request.
  const headers = { ...rateLimitHeaders(decision), 'retry-after': String(retryAfter) };
  return new RelayError('rate_limited', 'Rate limit exceeded', { limit: decision.limit, resetAt }, headers, {
    limit: decision.limit,
    resetAt,
  });
}
