import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { Migrator } from 'kysely';
import { openStorage, migrate, type Storage } from '../../src/storage/database.js';
import { migrationProvider } from '../../src/storage/migrations.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createUser } from '../../src/auth/users.js';
import { createApp } from '../../src/apps/store.js';
import { claimNonce, pruneExpiredNonces } from '../../src/oauth1/nonces.js';
import { approveRequestToken, createRequestToken, exchangeRequestToken, findToken, pruneExpiredRequestTokens } from '../../src/oauth1/tokens.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { sha256Hex as sha256 } from '../../src/ids/random.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { oauthClient, registerApp } from './client.js';

/** Nonces and tokens in the database, on SQLite and PostgreSQL, and replay refusal across two instances. */
describe.each([
  { label: 'SQLite', postgres: false },
  { label: 'PostgreSQL', postgres: true },
])('OAuth 1.0a storage on $label', ({ postgres }) => {
  let storage: Storage;
  let dataDir: string;
  const box = new SecretBox(crypto.randomBytes(32));
  let appId: string;
  let userId: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-oauth1-store-'));
    storage = openStorage({ dataDir, databaseUrl: postgres ? await createTestDatabase() : undefined });
    await migrate(storage);
    userId = (await createUser(storage.db, { username: 'owner', password: 'correct horse battery', role: 'admin' })).id;
    appId = (await createApp(storage.db, box, { userId, name: 'App', redirectUris: [] }, 100)).app.id;
  });
  afterAll(async () => {
    await storage?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts a nonce once per (consumer, token, timestamp) and forgets it after the window', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const key = { consumerKey: 'ck_a', tokenHash: '', timestamp: ts, nonce: 'n1' };
    expect(await claimNonce(storage.db, key)).toBe(true);
    expect(await claimNonce(storage.db, key)).toBe(false);
    expect(await claimNonce(storage.db, { ...key, tokenHash: 'other' })).toBe(true);
    expect(await claimNonce(storage.db, { ...key, consumerKey: 'ck_b' })).toBe(true);
    expect(await claimNonce(storage.db, { ...key, timestamp: ts + 1 })).toBe(true);

    // Kept while the timestamp can still pass the ±300 s check, pruned after.
    expect(await pruneExpiredNonces(storage.db, (ts + 300) * 1000)).toBe(0);
    expect(await pruneExpiredNonces(storage.db, (ts + 301) * 1000)).toBe(3);
    const left = await storage.db.selectFrom('oauth1_nonces').selectAll().execute();
    expect(left.map((r) => r.timestamp)).toEqual([ts + 1]);
  });

  it('keeps request tokens hashed with sealed secrets, exchanges once, prunes expired ones', async () => {
    const issued = await createRequestToken(storage.db, box, appId, 'oob', ['read', 'webhook']);
    const row = (await findToken(storage.db, issued.token))!;
    expect(row.token_hash).not.toContain(issued.token);
    expect(row.secret_enc).not.toContain(issued.secret);
    expect(box.decrypt(row.secret_enc)).toBe(issued.secret);

    expect(row.scopes).toBe('["read","webhook"]');
    const verifier = await approveRequestToken(storage.db, row.id, userId, ['read']);
    await expect(approveRequestToken(storage.db, row.id, userId, ['read'])).rejects.toMatchObject({ code: 'not_found' });
    const approved = (await findToken(storage.db, issued.token))!;
    await expect(exchangeRequestToken(storage.db, box, approved, 'wrong')).rejects.toMatchObject({ code: 'oauth1_invalid_verifier' });
    // Two exchanges race: exactly one wins.
    const results = await Promise.allSettled([exchangeRequestToken(storage.db, box, approved, verifier), exchangeRequestToken(storage.db, box, approved, verifier)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'oauth1_invalid_token' } });
    expect(await findToken(storage.db, issued.token)).toBeNull();
    // The access token keeps what the user approved.
    const access = (await findToken(storage.db, (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ token: string }>).value.token))!;
    expect(access.scopes).toBe('["read"]');

    const stale = await createRequestToken(storage.db, box, appId, 'oob', ['read']);
    const now = Date.now();
    expect(await pruneExpiredRequestTokens(storage.db, now)).toBe(0);
    expect(await pruneExpiredRequestTokens(storage.db, now + 10 * 60_000 + 1000)).toBe(1);
    expect(await findToken(storage.db, stale.token)).toBeNull();
    const kinds = await storage.db.selectFrom('oauth1_tokens').select('kind').execute();
    expect(kinds).toEqual([{ kind: 'access' }]);
  });

  it('0007_oauth1_token_scopes records the scopes of existing tokens only where the approval is known', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-oauth1-migrate-'));
    const old = openStorage({ dataDir: dir, databaseUrl: postgres ? await createTestDatabase() : undefined });
    try {
      // A database as the previous release left it.
      const migrated = await new Migrator({ db: old.db, provider: migrationProvider(old.dialect) }).migrateTo('0006_oauth1');
      expect(migrated.error).toBeUndefined();
      const owner = (await createUser(old.db, { username: 'owner', password: 'correct horse battery', role: 'admin' })).id;
      const untouched = (await createApp(old.db, box, { userId: owner, name: 'Untouched since approval', scopes: ['read'] }, 100)).app;
      const edited = (await createApp(old.db, box, { userId: owner, name: 'Edited since approval', scopes: ['read', 'webhook'] }, 100)).app;
      const t0 = Math.max(untouched.updatedAt, edited.updatedAt);
      const token = (id: string, kind: 'request' | 'access', app: string, authorizedAt: number | null) => ({
        id,
        token_hash: sha256(id),
        kind,
        app_id: app,
        user_id: authorizedAt === null ? null : owner,
        secret_enc: 'x',
        callback: kind === 'request' ? 'oob' : null,
        verifier_hash: null,
        created_at: t0,
        expires_at: kind === 'request' ? Date.now() + 600_000 : null,
        authorized_at: authorizedAt,
      });
      // Raw rows: the typed handle knows the new column, the old table does not have it yet.
      await (old.db as any)
        .insertInto('oauth1_tokens')
        .values([
          token('o1t_known', 'access', untouched.id, t0 + 1000),
          token('o1t_unknown', 'access', edited.id, t0 + 1000),
          token('o1t_pending', 'request', edited.id, null),
          token('o1t_approved', 'request', edited.id, t0 + 1000),
        ])
        .execute();
      // The edited app was changed after its tokens were approved (for instance widened).
      await old.db.updateTable('apps').set({ updated_at: t0 + 2000 }).where('id', '=', edited.id).execute();

      expect(await migrate(old)).toContain('0007_oauth1_token_scopes');
      const rows = await old.db.selectFrom('oauth1_tokens').select(['id', 'scopes']).orderBy('id').execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, r.scopes]))).toEqual({
        o1t_approved: null,
        o1t_known: '["read"]',
        o1t_pending: '["read","webhook"]',
        o1t_unknown: null,
      });
    } finally {
      await old.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('two relay instances on one PostgreSQL database', () => {
  let a: TestRelay;
  let b: TestRelay;

  beforeAll(async () => {
    // One database, one master key and one public URL, as behind a load balancer.
    const env = { DATABASE_URL: await createTestDatabase(), MASTER_KEY: crypto.randomBytes(32).toString('base64'), PUBLIC_URL: 'https://relay.example.com' };
    a = await startTestRelay({ env });
    b = await startTestRelay({ env });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses on one instance a request already accepted by the other', async () => {
    const { consumer } = await registerApp(a, { scopes: ['subscriptions'] });
    const client = oauthClient(consumer, 'HMAC-SHA256');
    const header = client.authorization('GET', 'https://relay.example.com/api/v1/subscriptions?limit=1', undefined);
    const send = async (relay: TestRelay) => {
      const res = await undiciRequest(`${relay.url}/api/v1/subscriptions?limit=1`, { headers: { authorization: header } });
      return { status: res.statusCode, body: (await res.body.json()) as { code?: string } };
    };
    const [first, second] = await Promise.all([send(a), send(b)]);
    expect([first.status, second.status].sort()).toEqual([200, 401]);
    expect([first, second].find((r) => r.status === 401)!.body.code).toBe('oauth1_nonce_reused');
    expect((await send(a)).status).toBe(401);
  });
});
