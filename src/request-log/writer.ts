import type { Insertable } from 'kysely';
import type { RequestLogTable } from '../storage/schema.js';
import type { BatchInsert } from './batch-insert.js';

export type RequestLogEntry = Omit<Insertable<RequestLogTable>, 'id'>;

/**
 * Buffers request-log rows and writes them in one transaction every flushMs (or when
 * maxBatch rows are waiting): one write per request would cost more than the request itself.
 * A crash loses at most flushMs of log lines, never data.
 */
export class RequestLogWriter {
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly insertBatch: BatchInsert,
    /** Hears of each batch: a failure (the rows are lost), or that one was written. */
    private readonly report: { failed(err: unknown): void; succeeded?(): void },
    private readonly flushMs = 100,
    private readonly maxBatch = 500,
  ) {}

  add(entry: RequestLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is buffered; resolves when it is in the database. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.insertBatch.write(rows);
        this.report.succeeded?.();
      } catch (err) {
        this.report.failed(err);
      }
    });
    return this.flushing;
  }

  /** Writes what is buffered, then releases the writer's resources (its SQLite thread). */
  async close(): Promise<void> {
    await this.flush();
    await this.insertBatch.close();
  }
}
