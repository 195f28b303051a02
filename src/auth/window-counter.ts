/**
 * Fixed-window hit counters in memory, one window per key: the first hit opens a window of
 * `windowMs`, later hits in it are counted, and the first hit after it opens the next. A key
 * whose limit changed starts a fresh window, so a raised limit takes effect at once.
 *
 * What rate-limiter-flexible's RateLimiterMemory does for an SQLite relay, written here because
 * that library answers every check with a promise: on the webhook's hot path the promise, its
 * microtask turns and the awaits around it cost more than the counting. PostgreSQL relays keep
 * the library (counters shared by every instance; a database round trip is a promise anyway).
 */
export interface WindowHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** When the current window ends (ms since the epoch). */
  endsAt: number;
}

interface Window extends WindowHit {
  limit: number;
}

export class WindowCounter {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(private readonly windowMs: number) {}

  /** Counts one hit of `key` at `now` under `limit`, and reports its window. */
  hit(key: string, limit: number, now: number): WindowHit {
    // Ended windows are dropped once per window length, so keys that stop calling do not
    // accumulate; a sweep costs one pass over the keys seen in the last window or two.
    if (now >= this.nextSweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now || window.limit !== limit) {
      window = { count: 0, endsAt: now + this.windowMs, limit };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, endsAt: window.endsAt };
  }

  /** Takes back one hit of `key` counted in its current window (none when that window has ended). */
  unhit(key: string, now: number): void {
    const window = this.windows.get(key);
    if (window !== undefined && window.endsAt > now && window.count > 0) window.count -= 1;
  }

  /** Keys held: those with a window open, and ended ones until the next sweep. */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + this.windowMs;
  }
}
