import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { requestLogRows } from './rows.js';
import { pruneRequestLog } from '../../src/request-log/query.js';
import { openStorage } from '../../src/storage/database.js';

const DAY = 86_400_000;

/** Request-log rows aged as given (days before now), request ids `<tag>_<i>`. */
function agedRows(tag: string, ages: number[]) {
  const now = Date.now();
  return requestLogRows(ages.length).map((row, i) => ({ ...row, request_id: `${tag}_${i}`, created_at: now - ages[i]! * DAY }));
}

const requestIds = async (relay: TestRelay) =>
  (await relay.ctx.storage.db.selectFrom('request_log').select('request_id').orderBy('request_id').execute()).map((r) => r.request_id);

describe('request-log retention on SQLite', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(() => relay.close());

  it('deletes the rows older than the retention age, and only those', async () => {
    const db = relay.ctx.storage.db;
    await db.deleteFrom('request_log').execute();
    // A real row, written by the relay itself for a real call.
    const { key } = await relay.createKey();
    const real = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${key}` });
    await relay.ctx.requestLog.flush();
    const old = agedRows('old', [30.01, 31, 90, 400]);
    const kept = agedRows('kept', [0, 1, 29, 29.99]);
    await db.insertInto('request_log').values([...old, ...kept]).execute();
    expect(await requestIds(relay)).toHaveLength(old.length + kept.length + 1);

    const deleted = await pruneRequestLog(db, 30, 1_000_000);
    expect(deleted).toBe(old.length);
    expect(await requestIds(relay)).toEqual([...kept.map((r) => r.request_id), real.body.requestId].sort());
    // Nothing more to do the second time.
    expect(await pruneRequestLog(db, 30, 1_000_000)).toBe(0);
  });

  it('then caps the table at the most recent rows when it has more than the row limit', async () => {
    const db = relay.ctx.storage.db;
    await db.deleteFrom('request_log').execute();
    const rows = agedRows('capped', [5, 4, 3, 2, 1]);
    await db.insertInto('request_log').values(rows).execute();
    expect(await pruneRequestLog(db, 30, 2)).toBe(3);
    // Insertion order is id order: the last two inserted stay.
    expect(await requestIds(relay)).toEqual(['capped_3', 'capped_4']);
  });
});

describe('housekeeping', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-retention-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prunes rows past REQUEST_LOG_RETENTION_DAYS when the relay starts', async () => {
    const env = { DATA_DIR: dataDir, REQUEST_LOG_RETENTION_DAYS: '7' };
    // A relay creates the database, then the rows are added while no relay runs.
    await (await startTestRelay({ env })).close();
    const storage = openStorage({ dataDir });
    await storage.db.insertInto('request_log').values([...agedRows('stale', [8, 30]), ...agedRows('fresh', [6, 0])]).execute();
    expect(await storage.db.selectFrom('request_log').select('id').execute()).toHaveLength(4);
    await storage.close();

    const second = await startTestRelay({ env });
    try {
      // Housekeeping runs in the background from start-up; wait for its outcome.
      await expect.poll(() => requestIds(second), { timeout: 10_000, interval: 20 }).toEqual(['fresh_0', 'fresh_1']);
    } finally {
      await second.close();
    }
  });
});
