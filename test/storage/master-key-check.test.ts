import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config.js';
import { createContext, type AppContext } from '../../src/context.js';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

const silent = pino({ level: 'silent' });

function freshDir(): string {
  return tempDir('relay-mk-');
}

function open(dataDir: string, env: Record<string, string> = {}): Promise<AppContext> {
  return createContext(loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...env }), silent);
}

/** A context with one sealed secret in its database (an API key's HMAC secret). */
async function withSealedSecret(dataDir: string, env: Record<string, string> = {}): Promise<void> {
  const ctx = await open(dataDir, env);
  const user = await createUser(ctx.storage.db, { username: `u${crypto.randomBytes(3).toString('hex')}`, password: 'a long password 123', role: 'admin' });
  await createApiKey(ctx.storage.db, ctx.box, { userId: user.id, name: 'signed', hmac: true }, 100);
  await ctx.close();
}

describe('master key check at start', () => {
  it('refuses a database whose key file went missing, and keeps no new key in its place', async () => {
    const dir = freshDir();
    await withSealedSecret(dir);
    const keyFile = path.join(dir, 'master.key');
    fs.rmSync(keyFile);
    const refused = open(dir);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/master\.key was missing.*restore the original file/);
    // Kept, the new key would be taken for the right one at the next start.
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it('refuses a damaged or unreadable key file as a setting to fix, without quoting it', async () => {
    const dir = freshDir();
    await withSealedSecret(dir);
    const keyFile = path.join(dir, 'master.key');
    for (const damage of [() => fs.writeFileSync(keyFile, 'garbage\n'), () => fs.writeFileSync(keyFile, '')]) {
      damage();
      const refused = open(dir);
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(/master\.key does not hold a 32-byte base64 key: restore the original master\.key/);
      await expect(open(dir)).rejects.not.toThrow(/garbage/);
    }
    fs.rmSync(keyFile);
    fs.mkdirSync(keyFile);
    await expect(open(dir)).rejects.toThrow(/master\.key cannot be read \(EISDIR\)/);
  });

  it('refuses a MASTER_KEY that is not the one the secrets were sealed with, naming the variable', async () => {
    const dir = freshDir();
    const right = crypto.randomBytes(32).toString('base64');
    await withSealedSecret(dir, { MASTER_KEY: right });
    await expect(open(dir, { MASTER_KEY: crypto.randomBytes(32).toString('base64') })).rejects.toThrow(/^MASTER_KEY is not the key/);
    const ctx = await open(dir, { MASTER_KEY: right });
    await ctx.close();
  });

  it('checks a database from before the check against one of its sealed secrets, then records the check', async () => {
    const dir = freshDir();
    const right = crypto.randomBytes(32).toString('base64');
    await withSealedSecret(dir, { MASTER_KEY: right });
    // As an older relay left it: secrets, but no check row.
    const ctx = await open(dir, { MASTER_KEY: right });
    await sql`DELETE FROM master_key_check`.execute(ctx.storage.db);
    await ctx.close();
    await expect(open(dir, { MASTER_KEY: crypto.randomBytes(32).toString('base64') })).rejects.toThrow(/^MASTER_KEY is not the key/);
    const upgraded = await open(dir, { MASTER_KEY: right });
    const rows = await upgraded.storage.db.selectFrom('master_key_check').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sealed).not.toContain('master key check'); // sealed, not plain
    await upgraded.close();
  });

  it('starts a fresh data folder with a new key file and accepts it from then on', async () => {
    const dir = freshDir();
    const first = await open(dir);
    await first.close();
    expect(fs.existsSync(path.join(dir, 'master.key'))).toBe(true);
    const second = await open(dir);
    await second.close();
  });

  it('on a shared PostgreSQL database, an instance with another key is refused even before any secret is stored', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await open(freshDir(), { DATABASE_URL: databaseUrl, MASTER_KEY: crypto.randomBytes(32).toString('base64') });
    await expect(open(freshDir(), { DATABASE_URL: databaseUrl, MASTER_KEY: crypto.randomBytes(32).toString('base64') })).rejects.toThrow(
      /^MASTER_KEY is not the key/,
    );
    await a.close();
  });
});
