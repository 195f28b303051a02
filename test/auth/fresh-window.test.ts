import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openStorage, type Storage } from '../../src/storage/database.js';
import { startFreshWindow } from '../../src/auth/rate-limit.js';
import { appGrantId } from '../../src/auth/grant.js';
import { createTestDatabase } from '../helpers/postgres.js';

const opened: Storage[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function storageOn(database: 'sqlite' | 'postgres'): Promise<Storage> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-fresh-window-'));
  dirs.push(dataDir);
  const storage = openStorage({ dataDir, databaseUrl: database === 'postgres' ? await createTestDatabase() : undefined });
  opened.push(storage);
  await migrate(storage);
  return storage;
}

describe.each(['sqlite', 'postgres'] as const)('startFreshWindow (%s)', (database) => {
  it("clears one key's counter under the new limit, or every grant of an app, and nothing else", async () => {
    const { db } = await storageOn(database);
    const keys = [
      'rl5:key_1',
      'rl6:key_1',
      'rl5:key_10',
      `rl5:${appGrantId('app_A', 'usr_1')}`,
      `rl5:${appGrantId('app_A', 'usr_2')}`,
      `rl6:${appGrantId('app_A', 'usr_1')}`,
      // `_` would match any character in a LIKE pattern: appXA must survive app_A's reset.
      `rl5:${appGrantId('appXA', 'usr_1')}`,
    ];
    await db.insertInto('rate_limits').values(keys.map((key) => ({ key, points: 5, expire: Date.now() + 60_000 }))).execute();
    const left = async () => (await db.selectFrom('rate_limits').select('key').orderBy('key').execute()).map((r) => r.key);

    await startFreshWindow(db, { id: 'key_1' }, 5);
    expect(await left()).toEqual(keys.filter((k) => k !== 'rl5:key_1').sort());
    await startFreshWindow(db, { idPrefix: appGrantId('app_A', '') }, 5);
    expect(await left()).toEqual(['rl5:app:appXA:usr_1', 'rl5:key_10', 'rl6:app:app_A:usr_1', 'rl6:key_1']);
  });
});
