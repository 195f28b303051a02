import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage, WAL_SIZE_LIMIT_BYTES } from '../../src/storage/database.js';

describe('the SQLite write-ahead log', () => {
  it('is cut back to its size limit after a burst, instead of staying at its peak', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-wal-'));
    const storage = openStorage({ dataDir });
    const sqlite = storage.sqlite!;
    try {
      expect(sqlite.pragma('journal_size_limit', { simple: true })).toBe(WAL_SIZE_LIMIT_BYTES);
      // A burst twice the limit in one transaction (as a prune of a large request log is).
      sqlite.exec('CREATE TABLE burst (x BLOB)');
      const insert = sqlite.prepare('INSERT INTO burst VALUES (?)');
      const blob = Buffer.alloc(64 * 1024, 7);
      sqlite.transaction(() => {
        for (let i = 0; i < (2 * WAL_SIZE_LIMIT_BYTES) / blob.length; i++) insert.run(blob);
      })();
      const wal = path.join(dataDir, 'relay.db-wal');
      expect(fs.statSync(wal).size).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
      // Once checkpointed, the next write starts the log over and cuts the file back.
      sqlite.pragma('wal_checkpoint(PASSIVE)');
      sqlite.exec('DELETE FROM burst WHERE rowid = 1');
      expect(fs.statSync(wal).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    } finally {
      await storage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
