import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  decideAfterAttempt,
  DEFAULT_RETRY_DELAYS_MS,
  MAX_RETRY_AFTER_MS,
  nextAttemptDelay,
  type DeliveryError,
} from '../../src/events/retry-schedule.js';
import { parseRetryAfter } from '../../src/http/retry-after.js';

const mid = () => 0.5; // jitter factor exactly 1.0
const low = () => 0; // jitter factor 0.8
const high = () => 0.999999; // jitter factor ~1.2

describe('classifyResponse', () => {
  it.each<[number | DeliveryError, string]>([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [299, 'success'],
    [301, 'retry'],
    [302, 'retry'],
    [400, 'retry'],
    [404, 'retry'],
    [410, 'gone'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    ['timeout', 'retry'],
    ['network', 'retry'],
    ['ssrf_refused', 'retry'],
  ])('%s → %s', (input, expected) => {
    expect(classifyResponse(input)).toBe(expected);
  });
});

describe('nextAttemptDelay', () => {
  it.each([
    [1, 5_000],
    [2, 300_000],
    [3, 1_800_000],
    [4, 7_200_000],
    [5, 18_000_000],
  ])('after failed attempt %i waits %i ms (no jitter)', (attempt, expected) => {
    expect(nextAttemptDelay({ attempt, status: 500, random: mid })).toBe(expected);
  });

  it('gives up once the retries are used', () => {
    expect(nextAttemptDelay({ attempt: 6, status: 500, random: mid })).toBeNull();
    expect(nextAttemptDelay({ attempt: 3, retries: 2, status: 500, random: mid })).toBeNull();
    expect(nextAttemptDelay({ attempt: 1, retries: 0, status: 500, random: mid })).toBeNull();
  });

  it('reuses the last step when retries exceed the table', () => {
    expect(nextAttemptDelay({ attempt: 8, retries: 10, status: 500, random: mid })).toBe(
      DEFAULT_RETRY_DELAYS_MS.at(-1),
    );
  });

  it('keeps jitter within ±20% for any random value (property)', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const base = DEFAULT_RETRY_DELAYS_MS[attempt - 1];
      for (let i = 0; i <= 100; i++) {
        const r = i / 101;
        const delay = nextAttemptDelay({ attempt, status: 502, random: () => r })!;
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }
    }
    expect(nextAttemptDelay({ attempt: 1, status: 500, random: low })).toBe(4_000);
    expect(nextAttemptDelay({ attempt: 1, status: 500, random: high })).toBe(6_000);
  });

  it.each<[string, { status?: number; error?: DeliveryError }]>([
    ['429', { status: 429 }],
    ['503', { status: 503 }],
    ['a timeout', { error: 'timeout' }],
  ])('waits twice as long after %s', (_name, failure) => {
    expect(nextAttemptDelay({ attempt: 2, random: mid, ...failure })).toBe(600_000);
  });

  it('does not stretch the wait after a plain network error', () => {
    expect(nextAttemptDelay({ attempt: 2, error: 'network', random: mid })).toBe(300_000);
  });

  it('honours Retry-After in seconds when longer than the schedule', () => {
    expect(
      nextAttemptDelay({ attempt: 1, status: 429, retryAfterHeader: '120', random: mid }),
    ).toBe(120_000);
  });

  it('never retries sooner than the schedule even if Retry-After says so', () => {
    expect(
      nextAttemptDelay({ attempt: 3, status: 503, retryAfterHeader: '1', random: mid }),
    ).toBe(3_600_000);
  });

  it('honours Retry-After as an HTTP date relative to the injected clock', () => {
    const now = Date.parse('2026-11-25T06:00:00Z');
    expect(
      nextAttemptDelay({
        attempt: 1,
        status: 429,
        retryAfterHeader: 'Wed, 25 Nov 2026 07:00:00 GMT',
        now,
        random: mid,
      }),
    ).toBe(3_600_000);
  });

  it('caps Retry-After at 24 h', () => {
    expect(
      nextAttemptDelay({ attempt: 1, status: 429, retryAfterHeader: '9999999', random: mid }),
    ).toBe(MAX_RETRY_AFTER_MS);
  });

  it('does not let Retry-After extend the number of retries', () => {
    expect(
      nextAttemptDelay({ attempt: 6, status: 429, retryAfterHeader: '60', random: mid }),
    ).toBeNull();
  });

  it('gives up on 410 Gone and on success', () => {
    expect(nextAttemptDelay({ attempt: 1, status: 410, random: mid })).toBeNull();
    expect(nextAttemptDelay({ attempt: 1, status: 200, random: mid })).toBeNull();
  });

  it('rejects a nonsensical attempt number', () => {
    expect(() => nextAttemptDelay({ attempt: 0, random: mid })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T06:00:00Z');
  it.each<[string | null | undefined, number | null]>([
    [undefined, null],
    [null, null],
    ['', null],
    ['0', 0],
    [' 30 ', 30_000],
    ['-5', null],
    ['1.5', null],
    ['soon', null],
    ['Wed, 25 Nov 2026 06:00:10 GMT', 10_000],
    ['Wed, 25 Nov 2026 05:00:00 GMT', 0], // a date in the past means "now"
  ])('%j → %j', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('decideAfterAttempt', () => {
  const opts = { attempt: 1, random: mid };
  it.each<[string, Parameters<typeof decideAfterAttempt>[0], ReturnType<typeof decideAfterAttempt>]>([
    ['2xx', { ok: true, status: 204 }, { kind: 'delivered' }],
    ['500', { ok: false, status: 500 }, { kind: 'retry', delayMs: 5_000 }],
    ['429 with Retry-After', { ok: false, status: 429, retryAfter: '60' }, { kind: 'retry', delayMs: 60_000 }],
    ['timeout', { ok: false, error: 'timeout' }, { kind: 'retry', delayMs: 10_000 }],
    ['410', { ok: false, status: 410 }, { kind: 'disable' }],
    ['redirect', { ok: false, status: 302 }, { kind: 'retry', delayMs: 5_000 }],
  ])('%s', (_name, outcome, expected) => {
    expect(decideAfterAttempt(outcome, opts)).toEqual(expected);
  });

  it('fails the delivery once retries are used up', () => {
    expect(decideAfterAttempt({ ok: false, status: 500 }, { attempt: 6, random: mid })).toEqual({ kind: 'failed' });
    expect(decideAfterAttempt({ ok: false, error: 'network' }, { attempt: 1, retries: 0, random: mid })).toEqual({ kind: 'failed' });
  });
});
