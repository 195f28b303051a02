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

  /**
   * Runs `task` when a slot is free; rejects with `refuse()` at once if the queue is full.
   * Not an async function: with a slot free (the usual case) the task's own promise gets one
   * continuation, where async/await and try/finally cost three promises a call.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.maxConcurrent) {
      this.active += 1;
      return this.settle(task);
    }
    if (this.waiting.length >= this.maxQueue) return Promise.reject(this.refuse());
    // The slot is handed over by release(), already counted in `active`.
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.settle(task));
  }

  /** Runs the task in the slot it holds, and frees the slot however the task ends. */
  private settle<T>(task: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = task();
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.release();
        return value;
      },
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }

  private release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.active -= 1;
  }
}
