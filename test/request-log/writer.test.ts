import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openStorage, type Storage } from '../../src/storage/database.js';
import { requestLogBatchInsert } from '../../src/request-log/batch-insert.js';
import { RequestLogWriter } from '../../src/request-log/writer.js';
import { requestLogRows } from './rows.js';
import { tempDir } from '../helpers/temp-dir.js';

const opened: Storage[] = [];
afterAll(async () => {
  for (const storage of opened) await storage.close();
});

function sqlite(): Storage {
  const storage = openStorage({ dataDir: tempDir('relay-log-writer-') });
  opened.push(storage);
  return storage;
}

const requestIds = async (storage: Storage) =>
  (await storage.db.selectFrom('request_log').select('request_id').orderBy('id').execute()).map((r) => r.request_id);

/**
 * The writer batches rows (one transaction per flush) on the SQLite insert thread: every row
 * must reach the table exactly once, in order, and a failed batch must reach onError rather
 * than vanish or stop later batches.
 */
describe('request-log writer on SQLite', () => {
  it('commits buffered rows on flush, in the order they were added', async () => {
    const storage = sqlite();
    await migrate(storage);
    const errors: unknown[] = [];
    // A flush interval long enough that only flush() commits here.
    const writer = new RequestLogWriter(requestLogBatchInsert(storage), { failed: (e) => errors.push(e) }, 60_000);
    for (const row of requestLogRows(100)) writer.add(row);
    expect(await requestIds(storage)).toEqual([]);
    await writer.flush();
    expect(await requestIds(storage)).toEqual(Array.from({ length: 100 }, (_, i) => `req_${i}`));
    for (const row of requestLogRows(64, 100)) writer.add(row);
    await writer.flush();
    expect(await requestIds(storage)).toHaveLength(164);
    await writer.close();
    expect(errors).toEqual([]);
  });

  it('writes what is buffered when closed without a flush', async () => {
    const storage = sqlite();
    await migrate(storage);
    const writer = new RequestLogWriter(requestLogBatchInsert(storage), { failed: () => undefined }, 60_000);
    for (const row of requestLogRows(70)) writer.add(row);
    await writer.close();
    expect(await requestIds(storage)).toHaveLength(70);
  });

  it('commits on its own once maxBatch rows wait', async () => {
    const storage = sqlite();
    await migrate(storage);
    const writer = new RequestLogWriter(requestLogBatchInsert(storage), { failed: () => undefined }, 60_000, 50);
    for (const row of requestLogRows(50)) writer.add(row);
    // The 50th row started a flush; an empty flush resolves once it has.
    await writer.flush();
    expect(await requestIds(storage)).toHaveLength(50);
    await writer.close();
  });

  it('reports a refused batch and writes the next one', async () => {
    const storage = sqlite();
    const errors: Error[] = [];
    const writer = new RequestLogWriter(requestLogBatchInsert(storage), { failed: (e) => errors.push(e as Error) }, 60_000);
    // No table yet: the thread cannot prepare its statements.
    for (const row of requestLogRows(40)) writer.add(row);
    await writer.flush();
    expect(errors.length).toBe(1);
    expect(errors[0]!.message).toMatch(/no such table: request_log/);
    await migrate(storage);
    for (const row of requestLogRows(40, 40)) writer.add(row);
    await writer.close();
    expect(await requestIds(storage)).toEqual(Array.from({ length: 40 }, (_, i) => `req_${40 + i}`));
  });
});
