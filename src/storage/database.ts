import path from 'node:path';
import SQLite from 'better-sqlite3';
import { StartupError } from '../startup-failure.js';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { createPrivateFile, ensureDataDir } from './data-dir.js';

export type Dialect = 'sqlite' | 'postgres';

/** The size the WAL file is cut back to after a checkpoint (also set by the request log's writer thread). */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** The relay's database handle: Kysely plus the raw driver handle the rate limiter needs. */
export interface Storage {
  db: Kysely<Database>;
  dialect: Dialect;
  /** better-sqlite3 handle (SQLite) — shared with rate-limiter-flexible. */
  sqlite?: SQLite.Database;
  /** pg pool (PostgreSQL) — shared with rate-limiter-flexible. */
  pgPool?: pg.Pool;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and serial ids: both fit a JS number, and
// string timestamps would leak into every comparison.
pg.types.setTypeParser(20, (v) => Number(v));

/** The SQLite database file in a data folder. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'relay.db');
}

/**
 * Opens SQLite in dataDir (WAL) or PostgreSQL when a URL is given. `onConnectionError` hears
 * of PostgreSQL connections lost outside a query (a restart, a failover, an idle timeout).
 */
export function openStorage(opts: { databaseUrl?: string; dataDir: string; onConnectionError?: (err: Error) => void }): Storage {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 10,
      // A request waits at most this long for a connection (a free one, or a new one made): past
      // it, 503 storage_unavailable. Without it, a database that stops answering, or ten slow
      // queries holding every connection, made every request wait without end.
      connectionTimeoutMillis: 5_000,
      // TCP keepalive: a server gone without closing the connection (a failover that moved its
      // address, a dropped network path) is noticed by the kernel instead of never.
      keepAlive: true,
    });
    // node-postgres emits 'error' when the server ends a connection that is not running a
    // query, on the client and, for an idle one, on the pool too: unheard, either event ends
    // the process. The pool drops such a client and connects anew on next use, and a query on
    // a lost connection fails on its own, so these are only reported: once, from the client.
    const lost = opts.onConnectionError ?? (() => undefined);
    pool.on('connect', (client) => client.on('error', lost));
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', pgPool: pool, close: () => db.destroy() };
  }
  ensureDataDir(opts.dataDir);
  const file = databaseFile(opts.dataDir);
  // An empty file is an empty database; SQLite would create it 0644.
  createPrivateFile(file);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // After a checkpoint, SQLite keeps the WAL file at its largest size unless told otherwise: a
  // burst (a prune of the request log) left it at its peak for good.
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
}

/** Applies pending migrations; throws with the failing migration's name. */
export async function migrate(storage: Storage): Promise<string[]> {
  const migrator = new Migrator({ db: storage.db, provider: migrationProvider(storage.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    // Kysely's words for a database a newer build has migrated: this build lacks its migrations.
    const newer = /previously executed migration (\S+) is missing/.exec((error as Error).message ?? '');
    if (newer) {
      throw new StartupError(
        'database_too_new',
        `The database was migrated by a newer odoo-relay (migration ${newer[1]} is unknown to this one); run that version, or restore the backup taken before the upgrade`,
      );
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // The cause keeps the driver's error code, by which the CLI explains a database it cannot reach.
    throw new Error(`Migration ${failed ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
