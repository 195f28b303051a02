import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Storage } from '../storage/database.js';
import { isUniqueViolation } from '../storage/unique-violation.js';
import type { Database, UsersTable } from '../storage/schema.js';
import { newId } from '../ids/random.js';
import { RelayError } from '../errors/index.js';
import { deleteUserSessions } from './sessions.js';
import { dummyPasswordHash, hashPassword, validatePasswordStrength, verifyPassword } from './passwords.js';

export interface User {
  id: string;
  username: string;
  role: 'admin' | 'user';
  createdAt: number;
  /** When an administrator disabled the account (`users disable`), or null. */
  disabledAt: number | null;
}

/**
 * An account whose password was just checked, and the hash it matched: a session is started
 * only while that hash is still the account's (see createSession), so a login that checked the
 * old password cannot outlive a password change made meanwhile.
 */
export interface VerifiedUser {
  user: User;
  passwordHash: string;
}

const USERNAME = /^[A-Za-z0-9._@+-]{3,64}$/;

/** The columns a User is read from: never the password hash. */
const USER_COLUMNS = ['id', 'username', 'role', 'created_at', 'disabled_at'] as const;

function toUser(row: Pick<Selectable<UsersTable>, (typeof USER_COLUMNS)[number]>): User {
  return { id: row.id, username: row.username, role: row.role, createdAt: row.created_at, disabledAt: row.disabled_at };
}

/** A new account's row: refuses weak passwords and taken usernames with stable codes. */
async function newUserRow(db: Kysely<Database>, input: { username: string; password: string; role?: 'admin' | 'user' }): Promise<Omit<Selectable<UsersTable>, 'disabled_at'>> {
  if (!USERNAME.test(input.username)) {
    throw new RelayError('invalid_request', 'Username must be 3–64 letters, digits or . _ @ + -', { field: 'username' });
  }
  const weak = validatePasswordStrength(input.password);
  if (weak) throw new RelayError('invalid_request', weak, { field: 'password' });
  // Told apart by case only, two accounts (admin and Admin) would be one person's typo away from each other.
  const existing = await db
    .selectFrom('users')
    .select('username')
    .where(sql<string>`lower(username)`, '=', input.username.toLowerCase())
    .executeTakeFirst();
  if (existing) {
    const taken = existing.username === input.username ? 'Username is already taken' : `Username is already taken (as '${existing.username}')`;
    throw new RelayError('conflict', taken, { field: 'username' });
  }
  const now = Date.now();
  return {
    id: newId('usr'),
    username: input.username,
    password_hash: await hashPassword(input.password),
    role: input.role ?? 'user',
    created_at: now,
    updated_at: now,
  };
}

/** Creates a local account; refuses weak passwords and taken usernames with stable codes. */
export async function createUser(
  db: Kysely<Database>,
  input: { username: string; password: string; role?: 'admin' | 'user' },
): Promise<User> {
  const row = await newUserRow(db, input);
  try {
    await db.insertInto('users').values(row).execute();
  } catch (err) {
    // The same name created meanwhile (the check in newUserRow and this insert are not atomic).
    if (isUniqueViolation(err)) throw new RelayError('conflict', 'Username is already taken', { field: 'username' });
    throw err;
  }
  // The unique index is case-sensitive: a case variant created meanwhile (RaceX and racex at
  // once) passed both checks. Looked for again now that this row is in: if another is there too,
  // this one goes. Two racers may both go (both are told to try again); neither name stays twice.
  const variants = await db.selectFrom('users').select('id').where(sql<string>`lower(username)`, '=', input.username.toLowerCase()).execute();
  if (variants.length > 1) {
    await db.deleteFrom('users').where('id', '=', row.id).execute();
    throw new RelayError('conflict', 'Username is already taken (created at the same moment in another letter case)', { field: 'username' });
  }
  return toUser({ ...row, disabled_at: null });
}

/**
 * The first-run admin: created only while there is no account at all, or null. Two setup
 * requests at once must not both pass a count made before either inserts (the password hash
 * takes tens of milliseconds in between), so the count and the insert share one transaction:
 * on SQLite Kysely runs one transaction at a time on the relay's connection; on PostgreSQL
 * the table lock makes the second wait for the first to commit and then count its row.
 */
export async function createFirstAdmin(storage: Storage, input: { username: string; password: string }): Promise<VerifiedUser | null> {
  const row = await newUserRow(storage.db, { ...input, role: 'admin' });
  return withUsersLocked(storage, async (trx) => {
    if ((await countUsers(trx)) > 0) return null;
    await trx.insertInto('users').values(row).execute();
    return { user: toUser({ ...row, disabled_at: null }), passwordHash: row.password_hash };
  });
}

/**
 * Runs `change` in a transaction that sees the users table as it is: a decision about the set of
 * accounts (none yet, one admin left) cannot be made by two changes at once. On PostgreSQL the
 * table lock makes the second wait for the first to commit and then see its rows; on SQLite
 * Kysely runs one transaction at a time on the relay's connection.
 */
export function withUsersLocked<T>(storage: Pick<Storage, 'db' | 'dialect'>, change: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return storage.db.transaction().execute(async (trx) => {
    if (storage.dialect === 'postgres') await sql`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    return change(trx);
  });
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** Whether the account is disabled (an unknown one counts as disabled: nothing may act for it). */
export async function isUserDisabled(db: Kysely<Database>, id: string): Promise<boolean> {
  return anyUserDisabled(db, [id]);
}

/** Whether any of the accounts is disabled or unknown, in one query. */
export async function anyUserDisabled(db: Kysely<Database>, ids: readonly string[]): Promise<boolean> {
  const distinct = [...new Set(ids)];
  const rows = await db.selectFrom('users').select('disabled_at').where('id', 'in', distinct).execute();
  return rows.length < distinct.length || rows.some((row) => row.disabled_at !== null);
}

export async function findUserByUsername(db: Kysely<Database>, username: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('username', '=', username)
    .executeTakeFirst();
  return row && toUser(row);
}

/** Checks a username/password pair; always spends one scrypt so timing does not reveal which part was wrong. */
export async function checkCredentials(db: Kysely<Database>, username: string, password: string): Promise<VerifiedUser | null> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  const ok = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash));
  return row && ok ? { user: toUser(row), passwordHash: row.password_hash } : null;
}

/**
 * Replaces a password after checking the current one, and ends every session of the account.
 * The hashes take tens of milliseconds, so the update only applies if the hash is still the
 * one checked: of two changes at once (the owner's, and an attacker's who knows the old
 * password), the second is refused instead of silently overwriting the first. The update and
 * the sessions' end share a transaction, so no session started with the old password survives.
 */
export async function changePassword(db: Kysely<Database>, userId: string, current: string, next: string): Promise<VerifiedUser> {
  const wrong = () => new RelayError('invalid_credentials', 'Current password is wrong', { field: 'currentPassword' });
  const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row || !(await verifyPassword(current, row.password_hash))) throw wrong();
  const weak = validatePasswordStrength(next);
  if (weak) throw new RelayError('invalid_request', weak, { field: 'newPassword' });
  // Checked after the current one is proved: comparing first would answer for an unproved guess.
  if (next === current) throw new RelayError('invalid_request', 'The new password must differ from the current one', { field: 'newPassword' });
  const passwordHash = await hashPassword(next);
  const changed = await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: Date.now() })
      .where('id', '=', userId)
      .where('password_hash', '=', row.password_hash)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await deleteUserSessions(trx, userId);
    return true;
  });
  if (!changed) throw wrong();
  return { user: toUser(row), passwordHash };
}

/**
 * An administrator's reset (the CLI's `users set-password`): no current password to prove.
 * Every session of the user ends, as with a change they make themselves.
 */
export async function setPassword(db: Kysely<Database>, userId: string, password: string): Promise<User> {
  const weak = validatePasswordStrength(password);
  if (weak) throw new RelayError('invalid_request', weak, { field: 'password' });
  const passwordHash = await hashPassword(password);
  const row = await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: Date.now() }).where('id', '=', userId).execute();
    await deleteUserSessions(trx, userId);
    return trx.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst();
  });
  if (!row) throw new RelayError('not_found', 'No such user');
  return toUser(row);
}

export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('created_at').execute();
  return rows.map(toUser);
}
