import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { migrate, openStorage } from '../../src/storage/database.js';
import { StartupError } from '../../src/startup-failure.js';

describe('a database a newer relay has migrated', () => {
  it('is refused with a message saying so (database_too_new), not as corrupted migrations with a stack', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-newer-'));
    const storage = openStorage({ dataDir });
    try {
      await migrate(storage);
      // What a later build leaves behind: a migration this one does not know.
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', '2099-01-01T00:00:00.000Z')`.execute(storage.db);
      const refused = await migrate(storage).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StartupError);
      expect(refused).toMatchObject({
        code: 'database_too_new',
        message: expect.stringContaining('migrated by a newer odoo-relay (migration 9999_from_the_future is unknown to this one)'),
      });
    } finally {
      await storage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
