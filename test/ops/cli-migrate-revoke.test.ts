import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { runCli } from '../helpers/cli.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';

// Each CLI call starts a Node process that compiles TypeScript on the fly: slow on a busy machine.
const SLOW = { timeout: 120_000 };

const EXPECTED_TABLES = ['api_keys', 'idempotency_keys', 'odoo_connections', 'request_log', 'users'];

async function postgresTables(url: string): Promise<{ tables: string[]; migrations: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (await client.query("select tablename from pg_tables where schemaname = 'public' order by tablename")).rows.map((r) => r.tablename as string);
    const migrations = tables.includes('kysely_migration') ? Number((await client.query('select count(*) as n from kysely_migration')).rows[0].n) : 0;
    return { tables, migrations };
  } finally {
    await client.end();
  }
}

function sqliteTables(file: string): { tables: string[]; migrations: number } {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[]).map((r) => r.name);
    const migrations = (db.prepare('select count(*) as n from kysely_migration').get() as { n: number }).n;
    return { tables, migrations };
  } finally {
    db.close();
  }
}

describe('odoo-relay migrate', SLOW, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it.each(['sqlite', 'postgres'] as const)('creates the schema on a fresh %s database, then is a no-op the second time (exit 0 both)', async (database) => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-migrate-'));
    dirs.push(parent);
    const dataDir = path.join(parent, 'not-yet-there');
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    if (database === 'postgres') env.DATABASE_URL = await createTestDatabase();
    const read = () => (database === 'postgres' ? postgresTables(env.DATABASE_URL!) : sqliteTables(path.join(dataDir, 'relay.db')));
    if (database === 'postgres') expect((await postgresTables(env.DATABASE_URL!)).tables).toEqual([]);

    const first = await runCli(env, ['migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Applied: \S/);
    const after = await read();
    for (const t of [...EXPECTED_TABLES, 'kysely_migration']) expect(after.tables).toContain(t);
    expect(after.migrations).toBe(first.stdout.trim().replace('Applied: ', '').split(', ').length);

    const second = await runCli(env, ['migrate']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe('Database is up to date');
    expect(await read()).toEqual(after);
  });
});

describe('odoo-relay keys revoke', SLOW, () => {
  let relay: TestRelay;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    // AUTH_CACHE_SECONDS=0: this relay sees another process's change on the very next call
    // (by default within 5 s, as documented for the variable).
    relay = await startTestRelay({ env: { AUTH_CACHE_SECONDS: '0' } });
    env = { DATA_DIR: relay.dataDir, LOG_LEVEL: 'silent' };
  });
  afterAll(() => relay.close());

  const getConfig = (key: string) => relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${key}` });

  it('revokes a key: the running relay then refuses it with 401 api_key_revoked, other keys keep working', async () => {
    const doomed = await relay.createKey({ name: 'revoked from the CLI' });
    const kept = await relay.createKey({ name: 'kept' });
    // Authenticated (no Odoo connection configured: 404 means the key was accepted).
    expect((await getConfig(doomed.key)).body.code).toBe('no_odoo_connection');

    const revoked = await runCli(env, ['keys', 'revoke', doomed.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout.trim()).toBe(`Revoked ${doomed.id} (${doomed.key.slice(0, 14)}…)`);
    expect(revoked.stdout).not.toContain(doomed.key);

    const refused = await getConfig(doomed.key);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ success: false, code: 'api_key_revoked' });
    expect((await getConfig(kept.key)).body.code).toBe('no_odoo_connection');

    const listed = await runCli(env, ['keys', 'list']);
    expect(listed.code).toBe(0);
    const line = (id: string) => listed.stdout.split('\n').find((l) => l.startsWith(id));
    expect(line(doomed.id)).toMatch(/\brevoked\b/);
    expect(line(kept.id)).toMatch(/\bactive\b/);

    // Revocation is permanent: revoking again changes nothing and still succeeds.
    const row = () => relay.ctx.storage.db.selectFrom('api_keys').select('revoked_at').where('id', '=', doomed.id).executeTakeFirstOrThrow();
    const revokedAt = (await row()).revoked_at;
    expect(revokedAt).toEqual(expect.any(Number));
    const again = await runCli(env, ['keys', 'revoke', doomed.id]);
    expect(again.code).toBe(0);
    expect((await row()).revoked_at).toBe(revokedAt);
    expect((await getConfig(doomed.key)).body.code).toBe('api_key_revoked');
  });

  it('refuses to revoke an unknown key id with exit 1 and not_found', async () => {
    const r = await runCli(env, ['keys', 'revoke', 'key_does_not_exist']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \(not_found\)/);
  });
});
