import type { Kysely } from 'kysely';
import type { Database, OAuth2CodesTable, OAuth2TokensTable } from '../storage/schema.js';
import { newId, randomBase62, sha256Hex } from '../ids/random.js';
import type { Scope } from '../auth/scopes.js';
import { toApp, type App } from '../apps/store.js';
import { RelayError } from '../errors/index.js';
import { LOST_RACE, retryLostRaces } from '../storage/compare-and-set.js';
import {
  ACCESS_TOKEN_PREFIX,
  ACCESS_TOKEN_TTL_SECONDS,
  AUTHORIZATION_REQUEST_TTL_SECONDS,
  CODE_PREFIX,
  CODE_TTL_SECONDS,
  REFRESH_TOKEN_PREFIX,
  REFRESH_TOKEN_TTL_SECONDS,
  REQUEST_ID_PREFIX,
} from './lifetimes.js';

type Db = Kysely<Database>;

/** What /oauth/authorize validated, waiting for the user's consent. */
export interface AuthorizationRequest {
  id: string;
  appId: string;
  redirectUri: string;
  scopes: Scope[];
  state: string | null;
  codeChallenge: string | null;
  expiresAt: number;
}

export async function createAuthorizationRequest(db: Db, input: Omit<AuthorizationRequest, 'id' | 'expiresAt'>): Promise<AuthorizationRequest> {
  const now = Date.now();
  const request: AuthorizationRequest = { ...input, id: REQUEST_ID_PREFIX + randomBase62(32), expiresAt: now + AUTHORIZATION_REQUEST_TTL_SECONDS * 1000 };
  await db
    .insertInto('oauth2_requests')
    .values({
      id: request.id,
      app_id: input.appId,
      redirect_uri: input.redirectUri,
      scopes: JSON.stringify(input.scopes),
      state: input.state,
      code_challenge: input.codeChallenge,
      created_at: now,
      expires_at: request.expiresAt,
    })
    .execute();
  return request;
}

/** A pending request that has not expired, or null. */
export async function findAuthorizationRequest(db: Db, id: string): Promise<AuthorizationRequest | null> {
  const row = await db.selectFrom('oauth2_requests').selectAll().where('id', '=', id).where('expires_at', '>', Date.now()).executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    appId: row.app_id,
    redirectUri: row.redirect_uri,
    scopes: JSON.parse(row.scopes),
    state: row.state,
    codeChallenge: row.code_challenge,
    expiresAt: row.expires_at,
  };
}

/** Consumes a pending request: true only for the one caller that deleted it (approve/deny happen once). */
export async function consumeAuthorizationRequest(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('oauth2_requests').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Issues a single-use code bound to client, redirect URI, PKCE challenge, user and scopes. Returns the plaintext code. */
export async function issueCode(
  db: Db,
  input: { appId: string; userId: string; redirectUri: string; scopes: Scope[]; codeChallenge: string | null },
): Promise<string> {
  const code = CODE_PREFIX + randomBase62(40);
  const now = Date.now();
  await db
    .insertInto('oauth2_codes')
    .values({
      code_hash: sha256Hex(code),
      app_id: input.appId,
      user_id: input.userId,
      family_id: newId('fam'),
      redirect_uri: input.redirectUri,
      scopes: JSON.stringify(input.scopes),
      code_challenge: input.codeChallenge,
      created_at: now,
      expires_at: now + CODE_TTL_SECONDS * 1000,
      used_at: null,
    })
    .execute();
  return code;
}

export type CodeRedemption = { ok: true; code: OAuth2CodesTable } | { ok: false; reason: 'unknown' | 'reused' | 'expired' };

/**
 * Marks a code used — one conditional UPDATE, so of two concurrent exchanges only one wins.
 * A code presented again means it leaked: the tokens issued from it are revoked (RFC 6749 §4.1.2).
 */
export async function redeemCode(db: Db, code: string): Promise<CodeRedemption> {
  const hash = sha256Hex(code);
  const now = Date.now();
  const claimed = await db.updateTable('oauth2_codes').set({ used_at: now }).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
  const row = await db.selectFrom('oauth2_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (Number(claimed.numUpdatedRows) !== 1) {
    await revokeFamily(db, row.family_id);
    return { ok: false, reason: 'reused' };
  }
  if (row.expires_at <= now) return { ok: false, reason: 'expired' };
  return { ok: true, code: row };
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresIn: number;
  scopes: Scope[];
}

/**
 * Issues an access token (and a refresh token when asked) in a token family; only hashes are
 * stored. Returns null when the family was revoked meanwhile (a concurrent reuse of the same
 * code or refresh token): the tokens just inserted are removed again.
 */
export async function issueTokens(
  db: Db,
  input: { appId: string; userId: string; familyId: string; scopes: Scope[]; withRefresh: boolean; refreshScopes?: Scope[] },
): Promise<IssuedTokens | null> {
  const now = Date.now();
  const accessToken = ACCESS_TOKEN_PREFIX + randomBase62(40);
  const refreshToken = input.withRefresh ? REFRESH_TOKEN_PREFIX + randomBase62(48) : null;
  const base = { app_id: input.appId, user_id: input.userId, family_id: input.familyId, scopes: JSON.stringify(input.scopes), created_at: now, rotated_at: null };
  const rows: OAuth2TokensTable[] = [{ ...base, token_hash: sha256Hex(accessToken), kind: 'access', expires_at: now + ACCESS_TOKEN_TTL_SECONDS * 1000 }];
  if (refreshToken) {
    const scopes = JSON.stringify(input.refreshScopes ?? input.scopes);
    rows.push({ ...base, scopes, token_hash: sha256Hex(refreshToken), kind: 'refresh', expires_at: now + REFRESH_TOKEN_TTL_SECONDS * 1000 });
  }
  await db.insertInto('oauth2_tokens').values(rows).execute();
  // Checked after the insert is committed: a revocation that committed its tombstone before this
  // read is seen here; one that commits after it deletes the family with a later statement, which
  // sees these rows. Either way no token of a revoked family survives.
  const revoked = await db.selectFrom('oauth2_revoked_families').select('family_id').where('family_id', '=', input.familyId).executeTakeFirst();
  if (revoked) {
    await db.deleteFrom('oauth2_tokens').where('family_id', '=', input.familyId).execute();
    return null;
  }
  return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scopes: input.scopes };
}

export type RefreshRotation = { ok: true; token: OAuth2TokensTable } | { ok: false; reason: 'unknown' | 'reused' | 'expired' | 'other_client' };

/**
 * Spends a refresh token (conditional UPDATE: one winner). An already-rotated token presented
 * again means two parties hold it: the whole family is revoked, so the thief's copy dies too
 * (RFC 9700 §4.14.2). `validate` checks the rest of the request against the live token before
 * it is spent; when it throws, the token stays valid (RFC 6749 §5.2: a refused request changes
 * nothing). A rotated token is reuse whatever else is wrong, so validate never runs for one.
 */
export async function rotateRefreshToken(db: Db, refreshToken: string, appId: string, validate?: (token: OAuth2TokensTable) => void): Promise<RefreshRotation> {
  const hash = sha256Hex(refreshToken);
  const now = Date.now();
  const row = await db.selectFrom('oauth2_tokens').selectAll().where('token_hash', '=', hash).where('kind', '=', 'refresh').executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.app_id !== appId) return { ok: false, reason: 'other_client' };
  if (row.expires_at <= now) return { ok: false, reason: 'expired' };
  if (row.rotated_at === null) validate?.(row);
  const claimed = await db.updateTable('oauth2_tokens').set({ rotated_at: now }).where('token_hash', '=', hash).where('rotated_at', 'is', null).executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    await revokeFamily(db, row.family_id);
    return { ok: false, reason: 'reused' };
  }
  return { ok: true, token: row };
}

/** A live token (access or refresh) by its plaintext, or null. Rotated refresh tokens are not live. */
export async function findLiveToken(db: Db, token: string): Promise<OAuth2TokensTable | null> {
  const q = db.selectFrom('oauth2_tokens').selectAll().where('token_hash', '=', sha256Hex(token)).where('expires_at', '>', Date.now()).where('rotated_at', 'is', null);
  return (await q.executeTakeFirst()) ?? null;
}

/**
 * A live access token with the app it was issued to, in one query: this runs on every OAuth 2.0
 * call. A token outlives no app (the foreign key cascades), so the inner join loses nothing.
 */
export async function findLiveAccessToken(db: Db, token: string): Promise<{ userId: string; scopes: Scope[]; app: App; userDisabled: boolean } | null> {
  const row = await db
    .selectFrom('oauth2_tokens')
    .innerJoin('apps', 'apps.id', 'oauth2_tokens.app_id')
    .innerJoin('users', 'users.id', 'oauth2_tokens.user_id')
    .innerJoin('users as owners', 'owners.id', 'apps.user_id')
    .selectAll('apps')
    .select(['oauth2_tokens.user_id as token_user_id', 'oauth2_tokens.scopes as token_scopes', 'users.disabled_at as user_disabled_at', 'owners.disabled_at as owner_disabled_at'])
    .where('oauth2_tokens.token_hash', '=', sha256Hex(token))
    .where('oauth2_tokens.kind', '=', 'access')
    .where('oauth2_tokens.expires_at', '>', Date.now())
    .where('oauth2_tokens.rotated_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const { token_user_id, token_scopes, user_disabled_at, owner_disabled_at, ...appRow } = row;
  // The token's user, or the app's owner (who may have left holding its secret), disabled.
  return { userId: token_user_id, scopes: JSON.parse(token_scopes), app: toApp(appRow), userDisabled: user_disabled_at !== null || owner_disabled_at !== null };
}

/**
 * Revokes every token of a family (all tokens descended from one authorization), for good: the
 * tombstone, committed first, stops a concurrent rotation from leaving new tokens behind (see issueTokens).
 */
export async function revokeFamily(db: Db, familyId: string): Promise<number> {
  const now = Date.now();
  await db
    .insertInto('oauth2_revoked_families')
    .values({ family_id: familyId, revoked_at: now, expires_at: now + REFRESH_TOKEN_TTL_SECONDS * 1000 })
    .onConflict((oc) => oc.column('family_id').doNothing())
    .execute();
  const r = await db.deleteFrom('oauth2_tokens').where('family_id', '=', familyId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * RFC 7009 revocation by the client that holds the token. A refresh token takes its family with
 * it (the grant ends); an access token goes alone. Another client's token is left untouched.
 */
export async function revokeToken(db: Db, token: string, appId: string): Promise<void> {
  const row = await db.selectFrom('oauth2_tokens').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
  if (!row || row.app_id !== appId) return;
  if (row.kind === 'refresh') await revokeFamily(db, row.family_id);
  else await db.deleteFrom('oauth2_tokens').where('token_hash', '=', row.token_hash).execute();
}

/** Compare-and-set attempts at recording a consent; each lost race means another consent was recorded. */
const GRANT_ATTEMPTS = 10;

/**
 * Records (or widens to) what the user consented to for an app; the dashboard lists these.
 *
 * The union of scopes is computed here, so the write is conditional on the row still holding
 * what was read (retryLostRaces): two consents at once for the same app and user would
 * otherwise each write their own union and drop the other's scope. The insert of a first grant
 * is conditional too (do nothing on conflict), so a concurrent first consent is merged, not
 * overwritten. No transaction or row lock: the same statements on SQLite and PostgreSQL.
 */
export async function recordGrant(db: Db, appId: string, userId: string, scopes: Scope[]): Promise<void> {
  await retryLostRaces(
    async () => {
      const now = Date.now();
      const existing = await db.selectFrom('oauth2_grants').select('scopes').where('app_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
      if (!existing) {
        const inserted = await db
          .insertInto('oauth2_grants')
          .values({ app_id: appId, user_id: userId, scopes: JSON.stringify([...new Set(scopes)]), created_at: now, updated_at: now })
          .onConflict((oc) => oc.columns(['app_id', 'user_id']).doNothing())
          .executeTakeFirst();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 ? true : LOST_RACE;
      }
      const merged = [...new Set([...(JSON.parse(existing.scopes) as Scope[]), ...scopes])];
      const updated = await db
        .updateTable('oauth2_grants')
        .set({ scopes: JSON.stringify(merged), updated_at: now })
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('scopes', '=', existing.scopes)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0 ? true : LOST_RACE;
    },
    GRANT_ATTEMPTS,
    () => new RelayError('conflict', 'This app’s access is being changed by another request; try again'),
  );
}

export interface AuthorizedApp {
  appId: string;
  name: string;
  ownerId: string;
  scopes: Scope[];
  authorizedAt: number;
  updatedAt: number;
}

/** The apps a user has authorized, with the consented scopes. */
export async function listGrants(db: Db, userId: string): Promise<AuthorizedApp[]> {
  const rows = await db
    .selectFrom('oauth2_grants')
    .innerJoin('apps', 'apps.id', 'oauth2_grants.app_id')
    .select(['oauth2_grants.app_id', 'apps.name', 'apps.user_id as owner_id', 'oauth2_grants.scopes', 'oauth2_grants.created_at', 'oauth2_grants.updated_at'])
    .where('oauth2_grants.user_id', '=', userId)
    .orderBy('oauth2_grants.updated_at', 'desc')
    .execute();
  return rows.map((r) => ({ appId: r.app_id, name: r.name, ownerId: r.owner_id, scopes: JSON.parse(r.scopes), authorizedAt: r.created_at, updatedAt: r.updated_at }));
}

/** Ends an app's access for a user: the consent, pending codes and every token go. Returns whether a grant existed. */
export async function revokeGrant(db: Db, appId: string, userId: string): Promise<boolean> {
  // Every family of this app and user is tombstoned, so a refresh or code exchange in flight cannot outlive the revocation.
  const families = [
    ...(await db.selectFrom('oauth2_tokens').select('family_id').where('app_id', '=', appId).where('user_id', '=', userId).execute()),
    ...(await db.selectFrom('oauth2_codes').select('family_id').where('app_id', '=', appId).where('user_id', '=', userId).execute()),
  ];
  for (const familyId of new Set(families.map((f) => f.family_id))) await revokeFamily(db, familyId);
  await db.deleteFrom('oauth2_codes').where('app_id', '=', appId).where('user_id', '=', userId).execute();
  const r = await db.deleteFrom('oauth2_grants').where('app_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Housekeeping: expired tokens (rotated refresh tokens included), codes and pending requests. */
export async function pruneExpiredOAuth2(db: Db, now = Date.now()): Promise<number> {
  let n = 0;
  n += Number((await db.deleteFrom('oauth2_tokens').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  n += Number((await db.deleteFrom('oauth2_codes').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  n += Number((await db.deleteFrom('oauth2_requests').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  n += Number((await db.deleteFrom('oauth2_revoked_families').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  return n;
}
