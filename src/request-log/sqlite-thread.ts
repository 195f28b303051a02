import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { WAL_SIZE_LIMIT_BYTES } from '../storage/database.js';

/**
 * The thread's code: opens the same SQLite file (WAL lets a second connection write beside the
 * relay's own) and runs each batch it is sent in one transaction. Plain CommonJS source, so it
 * runs alike from the TypeScript sources (tests, tsx) and from the built files.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const { columns, chunkRows } = workerData;
let chunk, one, db;
try {
  db = new Database(workerData.file);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('journal_size_limit = ' + workerData.walSizeLimit);
  chunk = db.prepare(workerData.chunkSql);
  one = db.prepare(workerData.rowSql);
} catch (error) {
  // SqliteError loses its message crossing threads; a plain Error keeps it.
  throw new Error(String((error && error.message) || error));
}
const insertAll = db.transaction((values) => {
  const rows = values.length / columns;
  let r = 0;
  for (; r + chunkRows <= rows; r += chunkRows) chunk.run(values.slice(r * columns, (r + chunkRows) * columns));
  for (; r < rows; r++) one.run(values.slice(r * columns, (r + 1) * columns));
});
parentPort.on('message', ({ id, values }) => {
  try {
    insertAll(values);
    parentPort.postMessage({ id });
  } catch (error) {
    // The code too (SQLITE_BUSY): it tells a database locked by another process from a bug.
    parentPort.postMessage({ id, error: String((error && error.message) || error), code: error && error.code });
  }
});
`;

export interface SqliteThreadOptions {
  file: string;
  columns: number;
  chunkRows: number;
  chunkSql: string;
  rowSql: string;
}

/**
 * Runs SQLite inserts on a thread of their own. Under load the request log's inserts were the
 * largest share of the relay's event-loop time per call that was not the call itself; on this
 * thread they use another core instead. A crashed thread fails its pending batches and is
 * started again on the next one.
 */
export class SqliteInsertThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { worker: Worker; resolve(): void; reject(error: Error): void }>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly options: SqliteThreadOptions) {}

  /** Inserts rows given as one flat list of values, `columns` per row. */
  insert(values: unknown[]): Promise<void> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, values });
    });
    this.inflight.add(done);
    const forget = () => void this.inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Stops the thread once the batches it was sent are written. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private settle(id: number, error?: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  private start(): Worker {
    const { file, columns, chunkRows, chunkSql, rowSql } = this.options;
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driverPath, file, columns, chunkRows, chunkSql, rowSql, walSizeLimit: WAL_SIZE_LIMIT_BYTES } });
    // Never what keeps the process alive: close() lets it finish on shutdown.
    worker.unref();
    worker.on('message', ({ id, error, code }: { id: number; error?: string; code?: string }) =>
      this.settle(id, error ? Object.assign(new Error(error), typeof code === 'string' ? { code } : {}) : undefined),
    );
    // A thread that dies fails only its own batches; the next insert starts a new one.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiter] of this.pending) if (waiter.worker === worker) this.settle(id, error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`request log thread exited with code ${code}`)));
    return worker;
  }
}
