import type { Kysely } from 'kysely';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { VerifiedUser } from './users.js';
import { randomBase62, sha256Hex } from '../ids/random.js';

export const SESSION_COOKIE = 'relay_session';

export interface Session {
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * Starts a session for an account whose password hash is still the one the caller verified;
 * null when the password was changed meanwhile. The cookie value is returned once and only
 * its hash is stored.
 *
 * The check and the insert share a transaction. On SQLite the relay's one connection runs it
 * whole; on PostgreSQL the row lock (FOR SHARE) orders it against a password change, whose
 * update waits for this insert to commit and then ends the new session with the others, or
 * goes first and leaves this check without a row.
 */
export async function createSession(
  storage: Pick<Storage, 'db' | 'dialect'>,
  { user, passwordHash }: VerifiedUser,
  ttlHours: number,
): Promise<{ token: string; session: Session } | null> {
  const token = randomBase62(43);
  const now = Date.now();
  const session = { userId: user.id, csrfToken: randomBase62(32), expiresAt: now + ttlHours * 3_600_000 };
  return storage.db.transaction().execute(async (trx) => {
    let current = trx.selectFrom('users').select('id').where('id', '=', user.id).where('password_hash', '=', passwordHash).where('disabled_at', 'is', null);
    if (storage.dialect === 'postgres') current = current.forShare();
    if (!(await current.executeTakeFirst())) return null;
    await trx
      .insertInto('sessions')
      .values({ id_hash: sha256Hex(token), user_id: user.id, csrf_token: session.csrfToken, created_at: now, expires_at: session.expiresAt })
      .execute();
    return { token, session };
  });
}

/** The live session behind a cookie value, or null (unknown or expired). */
export async function findSession(db: Kysely<Database>, token: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9]{20,100}$/.test(token)) return null;
  // Joined with the account: a session of a disabled account (one started as it was being
  // disabled) is no session.
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('sessions')
    .where('sessions.id_hash', '=', sha256Hex(token))
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row || row.expires_at <= Date.now()) return null;
  return { userId: row.user_id, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function deleteSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(token)).execute();
}

export async function deleteUserSessions(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function purgeExpiredSessions(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', Date.now()).execute();
}
