import { afterEach, describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startTestRelay, httpGet, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';

/**
 * GET /readyz against a database that goes away. PostgreSQL is taken away for real: the test
 * server stops accepting connections to the relay's database and ends the ones it has, as a
 * restart or failover does; then accepts them again.
 */
async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${inject('postgresUrl')}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const dbName = (url: string) => new URL(url).pathname.slice(1);

/**
 * Refuses new connections to the database and ends the open ones once none is in the middle of
 * a statement or transaction (so the end lands on idle pooled connections, not on a query);
 * resolves once none is left.
 */
async function takeDatabaseAway(url: string): Promise<void> {
  const name = dbName(url);
  await admin(async (c) => {
    for (;;) {
      const { rows } = await c.query("select count(*)::int as n from pg_stat_activity where datname = $1 and state <> 'idle'", [name]);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    for (;;) {
      const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      if (rows[0].n === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
}

async function bringDatabaseBack(url: string): Promise<void> {
  await admin((c) => c.query(`ALTER DATABASE ${dbName(url)} ALLOW_CONNECTIONS true`));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('GET /readyz', () => {
  it('answers 503 not_ready once the SQLite storage under the relay is closed', async () => {
    const relay: TestRelay = await startTestRelay();
    cleanups.push(() => relay.close());
    const ready = await httpGet(`${relay.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ success: true, status: 'ready', database: 'sqlite' });
    await relay.ctx.storage.close();
    const r = await httpGet(`${relay.url}/readyz`);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: false, code: 'not_ready', error: 'Database is not reachable' });
    expect(r.body.requestId).toMatch(/^req_/);
    // Liveness is not readiness: the process itself is fine.
    expect((await httpGet(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('answers 503 not_ready while PostgreSQL refuses the relay, and 200 again once it is back', async () => {
    const databaseUrl = await createTestDatabase();
    // No delivery worker or poller: nothing but /readyz uses the database during the outage, so
    // the connections are ended while idle in the pool (see takeDatabaseAway).
    const relay = await startTestRelay({ databaseUrl, env: { EVENTS_WORKER: 'false' } });
    cleanups.push(() => relay.close());
    cleanups.push(() => bringDatabaseBack(databaseUrl));

    expect((await httpGet(`${relay.url}/readyz`)).body).toMatchObject({ status: 'ready', database: 'postgres' });
    await takeDatabaseAway(databaseUrl);
    const down = await httpGet(`${relay.url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ success: false, code: 'not_ready', error: 'Database is not reachable' });
    expect(down.text).not.toContain('relay-test-password');

    await bringDatabaseBack(databaseUrl);
    const back = await httpGet(`${relay.url}/readyz`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: 'ready', database: 'postgres' });
  });

  // node-postgres emits 'error' for a connection the server ends outside a query (restart,
  // failover, pg_terminate_backend, idle_session_timeout); unheard, it ended the relay process.
  it('a relay served on PostgreSQL survives its database connections being ended (process stays up)', { timeout: 60_000 }, async () => {
    const databaseUrl = await createTestDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-ready-'));
    const serve: ServeProcess = await startServe({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => serve.kill());
    cleanups.push(() => bringDatabaseBack(databaseUrl));

    // A few pooled connections, idle from here on.
    const warm = await Promise.all([1, 2, 3].map(() => httpGet(`${serve.url}/readyz`)));
    for (const r of warm) expect(r.status).toBe(200);

    await takeDatabaseAway(databaseUrl);
    const down = await httpGet(`${serve.url}/readyz`).catch((err: Error) => err);
    expect(down, serve.output()).not.toBeInstanceOf(Error);
    expect((down as { status: number }).status).toBe(503);

    await bringDatabaseBack(databaseUrl);
    const back = await httpGet(`${serve.url}/readyz`).catch((err: Error) => err);
    expect(back, serve.output()).not.toBeInstanceOf(Error);
    expect((back as { status: number }).status).toBe(200);
    expect(serve.child.exitCode, serve.output()).toBeNull();
  });
});
