/** Whoever a task runs for: a task whose caller is gone by its turn is not run (a socket fits). */
export interface TaskCaller {
  readonly destroyed: boolean;
}

/**
 * At most `maxConcurrent` tasks run at once; up to `maxQueue` more wait in FIFO order; beyond
 * that a task is refused at once. A gateway in front of a slow Odoo must shed load early rather
 * than pile up requests that will time out anyway.
 */
export class ConcurrencyLimit {
  private active = 0;
  /** Recent tasks' duration in ms, smoothed (EWMA): how soon a slot frees up. */
  private typicalMs = 0;
  private readonly waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  /** Set once the queue is closed (shutdown): what a task that would have to wait is refused with. */
  private queueClosed: (() => Error) | undefined;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
    private readonly refuse: () => Error = () => new Error('queue full'),
    private readonly abandoned: () => Error = () => new Error('caller gone'),
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
   * About how long until a task refused now would find a slot, in whole seconds (at least 1,
   * at most `maxSeconds`): what is running and waiting, shared by the slots, at recent tasks'
   * pace. A caller told "1" while a slow Odoo worked through a queue of long calls came back
   * too early, again and again.
   */
  drainSeconds(maxSeconds: number): number {
    const ms = ((this.active + this.waiting.length) / this.maxConcurrent) * this.typicalMs;
    return Math.min(maxSeconds, Math.max(1, Math.ceil(ms / 1000)));
  }

  /**
   * Runs `task` when a slot is free; rejects with `refuse()` at once if the queue is full.
   * Not an async function: with a slot free (the usual case) the task's own promise gets one
   * continuation, where async/await and try/finally cost three promises a call.
   *
   * A task that waited, and whose `caller` has gone by its turn, is not run (`abandoned()`):
   * nobody would read its answer, and a retry of it may already be on its way, so running it
   * would write to Odoo twice. A task started at once runs whatever happens to its caller.
   * The task is given the moment it started (performance.now()), which the limit reads anyway.
   */
  run<T>(task: (startedAt: number) => Promise<T>, caller?: TaskCaller): Promise<T> {
    if (this.active < this.maxConcurrent) {
      this.active += 1;
      return this.settle(task);
    }
    if (this.queueClosed) return Promise.reject(this.queueClosed());
    if (this.waiting.length >= this.maxQueue) return Promise.reject(this.refuse());
    // The slot is handed over by release(), already counted in `active`.
    return new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject })).then(() => {
      if (!caller?.destroyed) return this.settle(task);
      this.release();
      throw this.abandoned();
    });
  }

  /** Runs the task in the slot it holds, and frees the slot however the task ends. */
  private settle<T>(task: (startedAt: number) => Promise<T>): Promise<T> {
    const started = performance.now();
    let pending: Promise<T>;
    try {
      pending = task(started);
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.finished(started);
        return value;
      },
      (error: unknown) => {
        this.finished(started);
        throw error;
      },
    );
  }

  private finished(started: number): void {
    const ms = performance.now() - started;
    // A fifth of the newest duration: a change of pace shows within a few calls.
    this.typicalMs = this.typicalMs === 0 ? ms : this.typicalMs + (ms - this.typicalMs) / 5;
    this.release();
  }

  private release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next) next.resolve();
    else this.active -= 1;
  }

  /**
   * From now on no task waits: those waiting are refused with `error()`, and so is any later
   * task that finds every slot taken. Tasks running finish, and a free slot still runs a task at
   * once. For shutdown: a queued call would otherwise start while the process is stopping, and
   * may be cut off after it reached Odoo, its answer lost.
   */
  closeQueue(error: () => Error): void {
    this.queueClosed = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error());
  }
}
