import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { randomBase62, sha256Hex } from '../ids/random.js';

export const SESSION_COOKIE = 'relay_session';

export interface Session {
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

/** Starts a session; the cookie value is returned once and only its hash is stored. */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  ttlHours: number,
): Promise<{ token: string; session: Session }> {
  const token = randomBase62(43);
  const now = Date.now();
  const session = { userId, csrfToken: randomBase62(32), expiresAt: now + ttlHours * 3_600_000 };
  await db
    .insertInto('sessions')
    .values({ id_hash: sha256Hex(token), user_id: userId, csrf_token: session.csrfToken, created_at: now, expires_at: session.expiresAt })
    .execute();
  return { token, session };
}

/** The live session behind a cookie value, or null (unknown or expired). */
export async function findSession(db: Kysely<Database>, token: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9]{20,100}$/.test(token)) return null;
  const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', sha256Hex(token)).executeTakeFirst();
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
