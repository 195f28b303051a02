/** One default Odoo connection per user, even when the first saves arrive at once; older databases are mended. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openStorage } from '../../src/storage/database.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import { Migrator } from 'kysely';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createUser } from '../../src/auth/users.js';
import { resolveConnection, saveDefaultConnection } from '../../src/connections/store.js';
import { createTestDatabase } from '../helpers/postgres.js';

const input = (n: number) => ({ url: `https://odoo${n}.example.com`, database: `db${n}`, login: 'admin', secret: `secret-${n}` });

describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => createTestDatabase()],
])('default connection on %s', (_name, databaseUrl) => {
  const open = async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-conn-'));
    const storage = openStorage({ databaseUrl: await databaseUrl(), dataDir });
    return { storage, close: async () => (await storage.close(), fs.rmSync(dataDir, { recursive: true, force: true })) };
  };

  it('stays one when three first saves run at once; the connection resolves to one of them', async () => {
    const { storage, close } = await open();
    try {
      await migrate(storage);
      const box = new SecretBox(crypto.randomBytes(32));
      const user = await createUser(storage.db, { username: 'first-saver', password: 'a long enough password' });
      const saved = await Promise.all([1, 2, 3].map((n) => saveDefaultConnection(storage.db, box, user.id, input(n))));
      const rows = await storage.db.selectFrom('odoo_connections').select(['id', 'url', 'is_default']).where('user_id', '=', user.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.is_default).toBe(1);
      expect(saved.map((c) => c.id)).toContain(rows[0]!.id);
      const resolved = await resolveConnection(storage.db, user.id, null);
      expect(resolved?.connection.url).toBe(rows[0]!.url);
    } finally {
      await close();
    }
  });

  it('migration 0009 keeps the latest saved of duplicate defaults as the default', async () => {
    const { storage, close } = await open();
    try {
      const migrator = new Migrator({ db: storage.db, provider: migrationProvider(storage.dialect) });
      await migrator.migrateTo('0008_events_record_order');
      const user = await createUser(storage.db, { username: 'old-duplicates', password: 'a long enough password' });
      const row = (id: string, updatedAt: number) => ({
        id,
        user_id: user.id,
        name: 'Odoo',
        url: `https://${id}.example.com`,
        database: 'db',
        login: 'admin',
        secret_enc: 'sealed',
        protocol: 'auto' as const,
        timeout_ms: 30_000,
        max_concurrent: 4,
        is_default: 1,
        created_at: 1,
        updated_at: updatedAt,
      });
      await storage.db.insertInto('odoo_connections').values([row('con_a', 100), row('con_b', 300), row('con_c', 200)]).execute();
      await migrate(storage);
      const rows = await storage.db.selectFrom('odoo_connections').select(['id', 'is_default']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'con_a', is_default: 0 },
        { id: 'con_b', is_default: 1 },
        { id: 'con_c', is_default: 0 },
      ]);
      await expect(storage.db.updateTable('odoo_connections').set({ is_default: 1 }).where('id', '=', 'con_a').execute()).rejects.toThrow();
    } finally {
      await close();
    }
  });
});
