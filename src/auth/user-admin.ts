/**
 * An administrator's changes to other accounts (the CLI's `users disable/enable/delete/set-role`):
 * what an operator needs when a colleague leaves, is away, or changes duties.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { RelayError } from '../errors/index.js';
import { deleteUserSessions } from './sessions.js';
import { apiKeysChanged } from './api-keys.js';
import { findUserById, withUsersLocked, type User } from './users.js';
import { pauseSubscriptions, subscriptionsChanged } from '../events/subscriptions-store.js';
import type { EventsService } from '../events/service.js';

/** What disabling an account stopped at once (the rest is refused at use). */
export interface DisabledAccount {
  user: User;
  endedSessions: number;
  pausedSubscriptions: number;
}

/** What an account owns, which deleting it deletes too (the foreign keys cascade). */
export interface AccountHoldings {
  apiKeys: number;
  connections: number;
  subscriptions: number;
  apps: number;
}

export async function holdingsOf(db: Kysely<Database>, userId: string): Promise<AccountHoldings> {
  const count = async (table: 'api_keys' | 'odoo_connections' | 'subscriptions' | 'apps') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);
  return { apiKeys: await count('api_keys'), connections: await count('odoo_connections'), subscriptions: await count('subscriptions'), apps: await count('apps') };
}

/** What deleting an account removed with it. */
export interface DeletedAccount extends AccountHoldings {
  user: User;
  /** Other users' subscriptions that the deleted apps had made, paused as an app's deletion pauses them. */
  pausedSubscriptions: number;
}

async function userRow(db: Kysely<Database>, id: string): Promise<User> {
  const user = await findUserById(db, id);
  if (!user) throw new RelayError('not_found', 'No such user');
  return user;
}

/**
 * Refuses a change that would leave no enabled administrator: nobody could then see every
 * call in the request log, and the only way back would be editing the database by hand.
 * Decisive inside the users lock (a transaction); outside it, an early answer for a
 * confirmation that should not invite a change bound to be refused.
 */
export async function keepAnAdmin(trx: Kysely<Database>, user: User, what: string): Promise<void> {
  if (user.role !== 'admin' || user.disabledAt !== null) return;
  const others = await trx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', user.id)
    .executeTakeFirstOrThrow();
  if (Number(others.n) === 0) {
    throw new RelayError('conflict', `'${user.username}' is the only enabled administrator: make another user an admin before you ${what} them`);
  }
}

/**
 * Marks the account disabled and ends its sessions, inside the caller's users lock; answers how
 * many sessions ended. The one step that stops an account from acting, for disable and delete.
 */
async function stopAccount(trx: Transaction<Database>, userId: string, now: number): Promise<number> {
  await trx.updateTable('users').set({ disabled_at: now, updated_at: now }).where('id', '=', userId).execute();
  const sessions = await trx.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  await deleteUserSessions(trx, userId);
  return Number(sessions.n);
}

/**
 * Disables an account without losing anything: its sessions end and its active subscriptions
 * pause (their deliveries would go on sending its records); its API keys, OAuth grants and
 * connections stay, refused with `account_disabled` while it is disabled. Idempotent.
 */
export async function disableUser(storage: Pick<Storage, 'db' | 'dialect'>, userId: string): Promise<DisabledAccount> {
  const done = await withUsersLocked(storage, async (trx) => {
    const user = await userRow(trx, userId);
    if (user.disabledAt !== null) return { user, endedSessions: 0, pausedSubscriptions: 0 };
    await keepAnAdmin(trx, user, 'disable');
    const now = Date.now();
    const endedSessions = await stopAccount(trx, userId, now);
    const paused = await pauseSubscriptions(trx, { userId }, `paused: the account '${user.username}' was disabled`);
    return { user: { ...user, disabledAt: now }, endedSessions, pausedSubscriptions: paused };
  });
  // Keys looked up before the change are cached in this process: drop them.
  apiKeysChanged.raise();
  if (done.pausedSubscriptions) subscriptionsChanged.raise();
  return done;
}

/**
 * Enables a disabled account: its keys, grants and connections work again. Its subscriptions
 * stay paused: the owner resumes those still wanted (some may point at receivers gone since).
 */
export async function enableUser(db: Kysely<Database>, userId: string): Promise<User> {
  await db.updateTable('users').set({ disabled_at: null, updated_at: Date.now() }).where('id', '=', userId).execute();
  apiKeysChanged.raise();
  return userRow(db, userId);
}

export async function setUserRole(storage: Pick<Storage, 'db' | 'dialect'>, userId: string, role: User['role']): Promise<User> {
  return withUsersLocked(storage, async (trx) => {
    const user = await userRow(trx, userId);
    if (user.role === role) return user;
    if (role === 'user') await keepAnAdmin(trx, user, 'demote');
    await trx.updateTable('users').set({ role, updated_at: Date.now() }).where('id', '=', userId).execute();
    return { ...user, role };
  });
}

/** What deleting an account needs: the database, and the events service to delete subscriptions with. */
export interface AccountDeletionDeps {
  storage: Pick<Storage, 'db' | 'dialect'>;
  events: Pick<EventsService, 'deleteSubscription'>;
}

/**
 * Deletes an account and everything it owns: API keys, Odoo connections, subscriptions with
 * their queued deliveries, apps with their grants, sessions (the foreign keys cascade). The
 * request log keeps its rows, which name the user by id only. Not undoable: `disableUser` is.
 */
export async function deleteUser(deps: AccountDeletionDeps, userId: string): Promise<DeletedAccount> {
  const { storage } = deps;
  // Checked before anything goes, so that a refusal leaves the account whole. The account is
  // disabled in the same step: from then on it cannot act, nor count as the enabled admin that
  // lets another admin's concurrent disable through. (That race used to refuse the delete in its
  // last step, after the account's subscriptions and their rules in Odoo were already gone.)
  const owned = await withUsersLocked(storage, async (trx) => {
    const user = await userRow(trx, userId);
    await keepAnAdmin(trx, user, 'delete');
    if (user.disabledAt === null) await stopAccount(trx, userId, Date.now());
    return holdingsOf(trx, userId);
  });
  apiKeysChanged.raise();
  // Subscriptions go through the events service: it also removes their push-capture automation
  // rules from Odoo, which the cascade cannot reach. Left there, the rules would go on posting
  // every change to the relay, each post slowing Odoo's writes, for a token that no longer exists.
  const subscriptions = await storage.db.selectFrom('subscriptions').select('id').where('user_id', '=', userId).execute();
  for (const { id } of subscriptions) {
    await deps.events.deleteSubscription(userId, id).catch((err: unknown) => {
      if (!(err instanceof RelayError && err.code === 'not_found')) throw err; // deleted meanwhile
    });
  }
  const deleted = await withUsersLocked(storage, async (trx) => {
    const user = await userRow(trx, userId);
    // Subscriptions record their app without a foreign key: other users' subscriptions made by
    // this user's apps would outlive the apps and go on delivering to their receivers.
    const appIds = (await trx.selectFrom('apps').select('id').where('user_id', '=', userId).execute()).map((a) => a.id);
    const paused = await pauseSubscriptions(trx, { appIds }, `paused: the app that created it was deleted with the account '${user.username}'`);
    await trx.deleteFrom('users').where('id', '=', userId).execute();
    return { user, ...owned, pausedSubscriptions: paused };
  });
  apiKeysChanged.raise();
  if (deleted.subscriptions || deleted.pausedSubscriptions) subscriptionsChanged.raise();
  return deleted;
}
