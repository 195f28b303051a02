import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServe } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

/**
 * The data folder holds key hashes, sealed secrets and the request log: what the relay creates
 * there is for its own user alone. A folder the admin made keeps the mode they gave it.
 */
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('the data folder and the database files the relay creates', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-modes-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('creates the data folder 0700 and relay.db, its -wal and -shm 0600', async () => {
    const dataDir = path.join(tempDir(), 'not-yet-there');
    const serve = await startServe({ DATA_DIR: dataDir });
    try {
      expect(mode(dataDir).toString(8)).toBe('700');
      // While the relay runs, so the write-ahead log and shared-memory files exist.
      for (const file of ['relay.db', 'relay.db-wal', 'relay.db-shm', 'master.key']) {
        expect(mode(path.join(dataDir, file)).toString(8), file).toBe('600');
      }
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('leaves the mode of a folder the admin made as it was', async () => {
    const dataDir = path.join(tempDir(), 'shared-with-backup-group');
    fs.mkdirSync(dataDir, { mode: 0o750 });
    fs.chmodSync(dataDir, 0o750);
    const migrated = await runCli({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, ['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(mode(dataDir).toString(8)).toBe('750');
    expect(mode(path.join(dataDir, 'relay.db')).toString(8)).toBe('600');
  });

  it('creates the folder for master.key 0700 on PostgreSQL too', async () => {
    const dataDir = path.join(tempDir(), 'key-only');
    const listed = await runCli({ DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(), LOG_LEVEL: 'silent' }, ['users', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(mode(dataDir).toString(8)).toBe('700');
    expect(mode(path.join(dataDir, 'master.key')).toString(8)).toBe('600');
  });
});
