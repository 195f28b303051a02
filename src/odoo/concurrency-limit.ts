/**
 * At most `maxConcurrent` tasks run at once; up to `maxQueue` more wait in FIFO order; beyond
 * that a task is refused at once. A gateway in front of a slow Odoo must shed load early rather
 * than pile up requests that will time out anyway.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
    private readonly refuse: () => Error = () => new Error('queue full'),
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be >= 1');
    if (!(maxQueue >= 0)) throw new RangeError('maxQueue must be >= 0');
  }

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free; rejects with `refuse()` at once if the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueue) throw this.refuse();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.active -= 1;
  }
}
