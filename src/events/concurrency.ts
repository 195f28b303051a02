/**
 * Per-endpoint in-flight limits, so one slow receiver cannot take every worker slot.
 *
 * Keyed by target origin (scheme + host + port): several subscriptions pointing at the same
 * n8n instance share its budget. The worker should prefer `tryAcquire` and move on to a
 * delivery for another endpoint when a key is full; `acquire` waits in FIFO order.
 */

export type Release = () => void;

/** The key deliveries to one receiver share: its origin, e.g. `https://n8n.example.com:5678`. */
export function endpointKey(url: string | URL): string {
  return new URL(url).origin;
}

interface Slot {
  active: number;
  waiters: ((release: Release) => void)[];
}

export class KeyedSemaphore {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly limitPerKey: number) {
    if (!Number.isInteger(limitPerKey) || limitPerKey < 1) {
      throw new RangeError(`limitPerKey must be a positive integer, got ${limitPerKey}`);
    }
  }

  /** A release function if a slot is free now, else null (never waits). */
  tryAcquire(key: string): Release | null {
    const slot = this.slotFor(key);
    if (slot.active >= this.limitPerKey) return null;
    slot.active += 1;
    return this.releaser(key, slot);
  }

  /** Waits for a slot; waiters are served first come, first served. */
  acquire(key: string, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire(key);
    if (now) return Promise.resolve(now);
    const slot = this.slotFor(key);
    return new Promise<Release>((resolve, reject) => {
      const waiter = (release: Release) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const index = slot.waiters.indexOf(waiter);
        if (index >= 0) slot.waiters.splice(index, 1);
        this.forgetIfIdle(key, slot);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.waiters.push(waiter);
    });
  }

  /** Run `task` holding a slot for `key`, releasing it however the task ends. */
  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(key, signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  inFlight(key: string): number {
    return this.slots.get(key)?.active ?? 0;
  }

  waiting(key: string): number {
    return this.slots.get(key)?.waiters.length ?? 0;
  }

  /** Keys currently tracked; idle keys are dropped so the map stays as small as the traffic. */
  get trackedKeys(): number {
    return this.slots.size;
  }

  private slotFor(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { active: 0, waiters: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private releaser(key: string, slot: Slot): Release {
    let released = false;
    return () => {
      // Idempotent: a double release must not free a slot someone else holds.
      if (released) return;
      released = true;
      const next = slot.waiters.shift();
      if (next) {
        next(this.releaser(key, slot)); // hand the slot over; `active` stays the same
      } else {
        slot.active -= 1;
        this.forgetIfIdle(key, slot);
      }
    };
  }

  private forgetIfIdle(key: string, slot: Slot): void {
    if (slot.active === 0 && slot.waiters.length === 0 && this.slots.get(key) === slot) {
      this.slots.delete(key);
    }
  }
}
