import { describe, expect, it } from 'vitest';
import { FOLLOW_MS, followDelayMs } from '../../web/src/follow-delay.js';

describe('when the deliveries page reads its list again', () => {
  const now = 1_000_000;
  const row = (status: 'pending' | 'in_flight' | 'delivered' | 'failed', attempts = 1, nextAttemptAt: number | null = null) => ({ status, attempts, nextAttemptAt });

  it('follows a delivery being sent or due closely, and stops when none is moving', () => {
    expect(followDelayMs([row('in_flight')], now)).toBe(FOLLOW_MS);
    expect(followDelayMs([row('pending', 0, now)], now)).toBe(FOLLOW_MS);
    expect(followDelayMs([row('pending', 2, now - 10)], now)).toBe(FOLLOW_MS);
    expect(followDelayMs([row('delivered'), row('failed')], now)).toBeNull();
    expect(followDelayMs([], now)).toBeNull();
  });

  it("waits for the soonest retry when every pending delivery waits for one, at most a minute", () => {
    expect(followDelayMs([row('pending', 1, now + 20_000), row('pending', 3, now + 8_000)], now)).toBe(8_000);
    expect(followDelayMs([row('pending', 2, now + 4 * 60_000)], now)).toBe(60_000);
    expect(followDelayMs([row('pending', 2, now + 4 * 60_000), row('in_flight')], now)).toBe(FOLLOW_MS);
  });
});
