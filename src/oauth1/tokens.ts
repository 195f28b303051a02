import type { Kysely } from 'kysely';
import type { Database, Oauth1TokensTable } from '../storage/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Scope } from '../auth/scopes.js';
import { newId, randomBase62, safeEqual, sha256Hex } from '../ids/random.js';
import { RelayError } from '../errors/index.js';

/** How long a request token may wait for the user's approval and the exchange (RFC 5849 leaves it to the server). */
export const REQUEST_TOKEN_TTL_MS = 10 * 60_000;

export type TokenRow = Oauth1TokensTable;

/** A token as issued: the value and secret go to the app once; only a hash and a sealed secret stay. */
export interface IssuedToken {
  id: string;
  token: string;
  secret: string;
}

/**
 * The scopes a token carries: for a request token what its consent page asks for, for an
 * access token what the user approved. null for a token older than migration
 * 0007_oauth1_token_scopes whose approval could not be established (it must be approved again).
 */
export function tokenScopes(row: Pick<TokenRow, 'scopes'>): Scope[] | null {
  return row.scopes === null ? null : (JSON.parse(row.scopes) as Scope[]);
}

/** A request token waiting for (or given) the user's approval; `scopes` is what its consent page will ask for (the app's scopes now). */
export async function createRequestToken(db: Kysely<Database>, box: SecretBox, appId: string, callback: string, scopes: readonly Scope[]): Promise<IssuedToken> {
  const now = Date.now();
  const issued = { id: newId('o1t'), token: `o1r_${randomBase62(32)}`, secret: randomBase62(40) };
  await db
    .insertInto('oauth1_tokens')
    .values({
      id: issued.id,
      token_hash: sha256Hex(issued.token),
      kind: 'request',
      app_id: appId,
      user_id: null,
      secret_enc: box.encrypt(issued.secret),
      callback,
      verifier_hash: null,
      created_at: now,
      expires_at: now + REQUEST_TOKEN_TTL_MS,
      authorized_at: null,
      scopes: JSON.stringify(scopes),
    })
    .execute();
  return issued;
}

/** A token by its value, if it exists and has not expired (a request token past its 10 minutes is as good as gone). */
export async function findToken(db: Kysely<Database>, token: string): Promise<TokenRow | null> {
  const row = await db.selectFrom('oauth1_tokens').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return null;
  return row;
}

/**
 * The user approves `scopes` (what the consent page showed): the request token is bound to them
 * and gets a verifier (returned once, stored hashed). Only a live, not yet approved request
 * token can be approved, and only once.
 */
export async function approveRequestToken(db: Kysely<Database>, id: string, userId: string, scopes: readonly Scope[]): Promise<string> {
  const verifier = randomBase62(24);
  const now = Date.now();
  const result = await db
    .updateTable('oauth1_tokens')
    .set({ user_id: userId, verifier_hash: sha256Hex(verifier), authorized_at: now, scopes: JSON.stringify(scopes) })
    .where('id', '=', id)
    .where('kind', '=', 'request')
    .where('authorized_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new RelayError('not_found', 'This authorization request is unknown, expired or already answered');
  return verifier;
}

/** The user denies: the request token is gone, so the app cannot exchange it. */
export async function deleteRequestToken(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('oauth1_tokens').where('id', '=', id).where('kind', '=', 'request').execute();
}

/**
 * Exchanges an approved request token and its verifier for an access token, which keeps the
 * scopes the user approved. The request token
 * is deleted in the same transaction and only if it still exists, so two concurrent
 * exchanges cannot both succeed (single use).
 */
export async function exchangeRequestToken(db: Kysely<Database>, box: SecretBox, request: TokenRow, verifier: string): Promise<IssuedToken> {
  if (request.kind !== 'request' || request.authorized_at === null || request.user_id === null || request.verifier_hash === null) {
    throw new RelayError('oauth1_invalid_token', 'The request token has not been authorized by a user yet');
  }
  if (!safeEqual(sha256Hex(verifier), request.verifier_hash)) throw new RelayError('oauth1_invalid_verifier');
  const issued = { id: newId('o1t'), token: `o1a_${randomBase62(32)}`, secret: randomBase62(40) };
  await db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('oauth1_tokens').where('id', '=', request.id).where('kind', '=', 'request').executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) throw new RelayError('oauth1_invalid_token', 'The request token was already exchanged');
    await trx
      .insertInto('oauth1_tokens')
      .values({
        id: issued.id,
        token_hash: sha256Hex(issued.token),
        kind: 'access',
        app_id: request.app_id,
        user_id: request.user_id,
        secret_enc: box.encrypt(issued.secret),
        callback: null,
        verifier_hash: null,
        created_at: Date.now(),
        expires_at: null,
        authorized_at: request.authorized_at,
        scopes: request.scopes,
      })
      .execute();
  });
  return issued;
}

/** An access token as the dashboard lists it: which app acts for the user, with which approved scopes, since when. */
export interface AuthorizedApp {
  id: string;
  appId: string;
  appName: string;
  /** What the user approved; null when that is unknown (a token older than the record, refused until approved again). */
  scopes: Scope[] | null;
  authorizedAt: number;
  createdAt: number;
}

export async function listAccessTokens(db: Kysely<Database>, userId: string): Promise<AuthorizedApp[]> {
  const rows = await db
    .selectFrom('oauth1_tokens')
    .innerJoin('apps', 'apps.id', 'oauth1_tokens.app_id')
    .select(['oauth1_tokens.id', 'oauth1_tokens.app_id', 'apps.name', 'oauth1_tokens.scopes', 'oauth1_tokens.authorized_at', 'oauth1_tokens.created_at'])
    .where('oauth1_tokens.user_id', '=', userId)
    .where('oauth1_tokens.kind', '=', 'access')
    .orderBy('oauth1_tokens.created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    appId: r.app_id,
    appName: r.name,
    scopes: tokenScopes(r),
    authorizedAt: Number(r.authorized_at ?? r.created_at),
    createdAt: Number(r.created_at),
  }));
}

/** Revokes one of the user's access tokens: it is deleted, so the next signed request with it gets oauth1_invalid_token. */
export async function revokeAccessToken(db: Kysely<Database>, id: string, userId: string): Promise<void> {
  const result = await db
    .deleteFrom('oauth1_tokens')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('kind', '=', 'access')
    .executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) throw new RelayError('not_found', 'Access token not found');
}

/** Revokes every access token an app holds for a user ("Revoke access" in the dashboard); returns how many. */
export async function revokeAppAccessTokens(db: Kysely<Database>, appId: string, userId: string): Promise<number> {
  const result = await db.deleteFrom('oauth1_tokens').where('app_id', '=', appId).where('user_id', '=', userId).where('kind', '=', 'access').executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes request tokens past their expiry (never approved, or approved but never exchanged). */
export async function pruneExpiredRequestTokens(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('oauth1_tokens').where('kind', '=', 'request').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
