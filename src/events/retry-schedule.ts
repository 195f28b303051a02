/**
 * When to try a webhook delivery again, as a pure function of what happened.
 *
 * The schedule follows the Standard Webhooks recommendation (5 s, 5 min, 30 min, 2 h, 5 h …),
 * cut to the subscription's `retries`. Jitter spreads retries of a burst of failed deliveries
 * so a receiver that comes back up is not hit by all of them in the same second.
 */
import { parseRetryAfter } from '../http/retry-after.js';

/** What a delivery attempt failed with, as reported by the sender. */
export type DeliveryError =
  | 'timeout'
  | 'network'
  | 'dns'
  | 'tls'
  | 'ssrf_refused'
  | 'invalid_url'
  | 'invalid_headers'
  // Nothing was sent: the subscription's signing secret or custom headers, sealed with the master
  // key, did not open (a row restored from another relay's database, or damaged).
  | 'secret_unreadable';

export type ResponseClass = 'success' | 'retry' | 'gone';

/** Delays after attempt 1, 2, 3 … fail (ms). Attempts beyond the table reuse the last step. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
];

export const DEFAULT_RETRIES = 5;
/** ±20 %: enough to spread a burst, small enough to keep the schedule recognisable. */
export const JITTER_RATIO = 0.2;
/** A receiver that throttles (429, 503) or is too slow to answer gets twice the room. */
export const THROTTLED_MULTIPLIER = 2;
/** A receiver may ask us to wait, but not to park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Success is 2xx only; 410 Gone tells us to stop for good; everything else may heal. */
export function classifyResponse(outcome: number | DeliveryError): ResponseClass {
  if (typeof outcome === 'number') {
    if (outcome >= 200 && outcome < 300) return 'success';
    if (outcome === 410) return 'gone';
    // 3xx included: redirects are not followed (see sender.ts), and 4xx may be a receiver's
    // transient misconfiguration; the consecutive-failure limit disables a hopeless one.
    return 'retry';
  }
  // Refusals are retried too: DNS can be repointed; the failure limit bounds the cost.
  return 'retry';
}

export interface NextAttemptInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** Retries allowed after the first attempt (subscription setting). */
  retries?: number;
  status?: number;
  error?: DeliveryError;
  /** Raw `Retry-After` response header: delta-seconds or an HTTP date. */
  retryAfterHeader?: string | null;
  /** Returns a number in [0, 1); injected so tests are deterministic. */
  random: () => number;
  /** Clock for HTTP-date `Retry-After` values (ms since epoch). */
  now?: number;
  schedule?: readonly number[];
  maxRetryAfterMs?: number;
}

/** Milliseconds to wait before the next attempt, or `null` to give up. */
export function nextAttemptDelay(input: NextAttemptInput): number | null {
  const retries = input.retries ?? DEFAULT_RETRIES;
  const schedule = input.schedule ?? DEFAULT_RETRY_DELAYS_MS;
  if (!Number.isInteger(input.attempt) || input.attempt < 1) {
    throw new RangeError(`attempt must be a positive integer, got ${input.attempt}`);
  }
  if (input.status !== undefined && classifyResponse(input.status) !== 'retry') return null;
  if (input.attempt > retries || schedule.length === 0) return null;

  const step = schedule[Math.min(input.attempt, schedule.length) - 1];
  const throttled =
    input.status === 429 || input.status === 503 || input.error === 'timeout';
  const base = throttled ? step * THROTTLED_MULTIPLIER : step;
  const jittered = Math.round(base * (1 - JITTER_RATIO + 2 * JITTER_RATIO * input.random()));

  const asked = parseRetryAfter(input.retryAfterHeader, input.now ?? Date.now());
  if (asked === null) return jittered;
  // Honour the receiver's wish, but never retry sooner than our own schedule would.
  return Math.max(jittered, Math.min(asked, input.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS));
}

/** What the worker does after an attempt. */
export type AttemptDecision =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' } // retries used up: mark the delivery failed (replayable from the log)
  | { kind: 'disable' }; // 410 Gone: mark failed and disable the subscription

export interface AttemptOutcome {
  ok: boolean;
  status?: number;
  error?: DeliveryError;
  retryAfter?: string;
}

/** The whole policy in one call: classify the attempt's outcome, then schedule or stop. */
export function decideAfterAttempt(
  outcome: AttemptOutcome,
  options: Omit<NextAttemptInput, 'status' | 'error' | 'retryAfterHeader'>,
): AttemptDecision {
  const verdict = classifyResponse(outcome.status ?? outcome.error ?? 'network');
  if (outcome.ok && verdict === 'success') return { kind: 'delivered' };
  if (verdict === 'gone') return { kind: 'disable' };
  const delayMs = nextAttemptDelay({
    ...options,
    status: verdict === 'success' ? undefined : outcome.status,
    error: outcome.error,
    retryAfterHeader: outcome.retryAfter,
  });
  return delayMs === null ? { kind: 'failed' } : { kind: 'retry', delayMs };
}
