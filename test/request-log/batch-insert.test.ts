import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openStorage, type Storage } from '../../src/storage/database.js';
import { requestLogBatchInsert } from '../../src/request-log/batch-insert.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { requestLogRows as rows } from './rows.js';
import { tempDir } from '../helpers/temp-dir.js';

const opened: Storage[] = [];
afterAll(async () => {
  for (const storage of opened) await storage.close();
});

async function roundTrip(storage: Storage, count: number) {
  opened.push(storage);
  await migrate(storage);
  const written = rows(count);
  const batches = requestLogBatchInsert(storage);
  await batches.write(written);
  await batches.close();
  const read = await storage.db.selectFrom('request_log').selectAll().orderBy('created_at').execute();
  expect(read.map(({ id: _id, ...rest }) => rest)).toEqual(written);
}

/**
 * The batch insert binds rows through a multi-row statement in chunks plus single rows for the
 * remainder (SQLite) or one unnest() statement (PostgreSQL): every row and every column must
 * come back exactly, whatever the batch size.
 */
describe('request-log batch insert', () => {
  for (const count of [1, 31, 32, 75]) {
    it(`writes ${count} rows on SQLite with every column in place`, async () => {
      const dir = tempDir('relay-log-');
      await roundTrip(openStorage({ dataDir: dir }), count);
    });
  }

  it('writes 75 rows on PostgreSQL with every column in place', async () => {
    await roundTrip(openStorage({ databaseUrl: await createTestDatabase(), dataDir: '' }), 75);
  });

  it('fails a batch the database refuses, and writes the next one on a fresh thread', async () => {
    const storage = openStorage({ dataDir: tempDir('relay-log-') });
    opened.push(storage);
    const batches = requestLogBatchInsert(storage);
    // No migration yet: the thread cannot even prepare its statements.
    await expect(batches.write(rows(3))).rejects.toThrow(/no such table: request_log/);
    await migrate(storage);
    await batches.write(rows(40));
    await batches.close();
    expect(await storage.db.selectFrom('request_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 40 });
  });
});
