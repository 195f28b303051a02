import type { Kysely } from 'kysely';
import type { AppsTable, Database } from '../storage/schema.js';
import { newId, randomBase62, safeEqual, sha256Hex } from '../ids/random.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { RelayError } from '../errors/index.js';
import { ChangeSignal } from '../cache/ttl-cache.js';
import type { Scope } from '../auth/scopes.js';
import { appGrantId, type Grant } from '../auth/grant.js';
import { startFreshWindow } from '../auth/rate-limit.js';
import { allowListColumn, checkRateLimit, checkScopes } from '../auth/credential-rules.js';

/** Raised by every app mutation in this process, so caches of app lookups drop stale entries. */
export const appsChanged = new ChangeSignal();

export type ClientType = 'confidential' | 'public';

/**
 * A registered third-party app. One registration is both an OAuth 2.0 client (client id +
 * hashed secret, redirect URIs) and an OAuth 1.0a consumer (consumer key + encrypted secret);
 * its scopes, allow-lists and rate limit bound every token issued to it.
 */
export interface App {
  id: string;
  userId: string;
  name: string;
  clientId: string;
  clientType: ClientType;
  consumerKey: string;
  /** Exact-match redirect URIs (OAuth 2.0) and callback URLs (OAuth 1.0a). */
  redirectUris: string[];
  scopes: Scope[];
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
  rateLimit: number;
  createdAt: number;
  updatedAt: number;
}

export interface AppInput {
  userId: string;
  name: string;
  clientType?: ClientType;
  redirectUris?: string[];
  scopes?: Scope[];
  allowedModels?: string[] | null;
  allowedMethods?: string[] | null;
  rateLimit?: number;
}

export type AppUpdate = Partial<Omit<AppInput, 'userId' | 'clientType'>>;

/** The secrets of a new app (or a rotation): returned once, never stored in plaintext. */
export interface AppSecrets {
  clientSecret: string | null;
  consumerSecret: string;
}

const CLIENT_SECRET_PREFIX = 'cs_';
const CONSUMER_SECRET_PREFIX = 'ck_secret_';

/** An apps row as an App (exported for queries that join apps to what they look up). */
export function toApp(row: AppsTable): App {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    clientId: row.client_id,
    clientType: row.client_type as ClientType,
    consumerKey: row.consumer_key,
    redirectUris: JSON.parse(row.redirect_uris),
    scopes: JSON.parse(row.scopes),
    allowedModels: row.allowed_models ? JSON.parse(row.allowed_models) : null,
    allowedMethods: row.allowed_methods ? JSON.parse(row.allowed_methods) : null,
    rateLimit: row.rate_limit,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The scopes a token or approval can use now: those it was given, narrowed to the app's current
 * scopes (an owner may have removed some since). Resource calls, token and introspection answers
 * and the OAuth 1.0a consent page all judge scopes this way.
 */
export function scopesWithinApp(scopes: readonly Scope[], app: Pick<App, 'scopes'>): Scope[] {
  return scopes.filter((s) => app.scopes.includes(s));
}

/** The grant an app holds when acting for a user: the app's limits, narrowed to the scopes the user consented to. */
export function appGrant(app: App, userId: string, scopes: readonly Scope[]): Grant {
  return {
    id: appGrantId(app.id, userId),
    userId,
    connectionId: null,
    scopes: scopesWithinApp(scopes, app),
    allowedModels: app.allowedModels,
    allowedMethods: app.allowedMethods,
    rateLimit: app.rateLimit,
  };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new RelayError('invalid_request', 'Name must be 1–100 characters', { field: 'name' });
  return trimmed;
}

/**
 * Redirect URIs are compared exactly (RFC 9700 §4.1.3). https only, except loopback http for
 * native apps and local development (RFC 8252 §7.3); no fragments, no credentials in the URL.
 */
export function checkRedirectUris(uris: readonly string[]): string[] {
  if (uris.length > 10) throw new RelayError('invalid_request', 'At most 10 redirect URIs', { field: 'redirectUris' });
  return uris.map((uri, i) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new RelayError('invalid_request', `Redirect URI ${i + 1} is not an absolute URL`, { field: `redirectUris.${i}` });
    }
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
    if (!schemeOk || url.hash || url.username || url.password || uri.length > 2000) {
      throw new RelayError('invalid_request', `Redirect URI ${i + 1} must be https (or http on localhost), without fragment or credentials`, {
        field: `redirectUris.${i}`,
      });
    }
    return uri;
  });
}

/** Registers an app. Its client secret (confidential clients) and consumer secret are returned here only. */
export async function createApp(
  db: Kysely<Database>,
  box: SecretBox,
  input: AppInput,
  defaultRateLimit: number,
): Promise<{ app: App; secrets: AppSecrets }> {
  const clientType = input.clientType ?? 'confidential';
  if (clientType !== 'confidential' && clientType !== 'public') {
    throw new RelayError('invalid_request', 'clientType must be confidential or public', { field: 'clientType' });
  }
  const clientSecret = clientType === 'confidential' ? CLIENT_SECRET_PREFIX + randomBase62(40) : null;
  const consumerSecret = CONSUMER_SECRET_PREFIX + randomBase62(40);
  const now = Date.now();
  const row: AppsTable = {
    id: newId('app'),
    user_id: input.userId,
    name: checkName(input.name),
    client_id: `client_${randomBase62(24)}`,
    client_type: clientType,
    client_secret_hash: clientSecret ? sha256Hex(clientSecret) : null,
    consumer_key: `ck_${randomBase62(24)}`,
    consumer_secret_enc: box.encrypt(consumerSecret),
    redirect_uris: JSON.stringify(checkRedirectUris(input.redirectUris ?? [])),
    scopes: JSON.stringify(checkScopes(input.scopes ?? ['read'])),
    allowed_models: allowListColumn(input.allowedModels, 'allowedModels'),
    allowed_methods: allowListColumn(input.allowedMethods, 'allowedMethods'),
    rate_limit: checkRateLimit(input.rateLimit ?? defaultRateLimit),
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('apps').values(row).execute();
  appsChanged.raise();
  return { app: toApp(row), secrets: { clientSecret, consumerSecret } };
}

export async function listApps(db: Kysely<Database>, userId?: string): Promise<App[]> {
  let q = db.selectFrom('apps').selectAll().orderBy('created_at', 'desc');
  if (userId) q = q.where('user_id', '=', userId);
  return (await q.execute()).map(toApp);
}

/** The apps with these ids that exist, by id, in one query. */
export async function appsByIds(db: Kysely<Database>, ids: string[]): Promise<Map<string, App>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('apps').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((row) => [row.id, toApp(row)]));
}

/** An app by id, optionally only if `userId` owns it (otherwise not_found, never a hint that it exists). */
export async function getApp(db: Kysely<Database>, id: string, userId?: string): Promise<App> {
  let q = db.selectFrom('apps').selectAll().where('id', '=', id);
  if (userId) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirst();
  if (!row) throw new RelayError('not_found', 'App not found');
  return toApp(row);
}

export async function findAppByClientId(db: Kysely<Database>, clientId: string): Promise<App | null> {
  const row = await db.selectFrom('apps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row ? toApp(row) : null;
}

/** The app behind an OAuth 1.0a consumer key, with its encrypted consumer secret (to recompute signatures). */
export async function findAppByConsumerKey(db: Kysely<Database>, consumerKey: string): Promise<{ app: App; consumerSecretEnc: string } | null> {
  const row = await db.selectFrom('apps').selectAll().where('consumer_key', '=', consumerKey).executeTakeFirst();
  return row ? { app: toApp(row), consumerSecretEnc: row.consumer_secret_enc } : null;
}

/** Whether a presented client secret is the app's, compared in constant time over the hashes. */
export async function verifyClientSecret(db: Kysely<Database>, appId: string, presented: string): Promise<boolean> {
  const row = await db.selectFrom('apps').select('client_secret_hash').where('id', '=', appId).executeTakeFirst();
  if (!row?.client_secret_hash) return false;
  return safeEqual(sha256Hex(presented), row.client_secret_hash);
}

export async function updateApp(db: Kysely<Database>, id: string, userId: string | undefined, patch: AppUpdate): Promise<App> {
  const current = await getApp(db, id, userId);
  const set: Partial<AppsTable> = { updated_at: Date.now() };
  if (patch.name !== undefined) set.name = checkName(patch.name);
  if (patch.redirectUris !== undefined) set.redirect_uris = JSON.stringify(checkRedirectUris(patch.redirectUris));
  if (patch.scopes !== undefined) set.scopes = JSON.stringify(checkScopes(patch.scopes));
  if (patch.allowedModels !== undefined) set.allowed_models = allowListColumn(patch.allowedModels, 'allowedModels');
  if (patch.allowedMethods !== undefined) set.allowed_methods = allowListColumn(patch.allowedMethods, 'allowedMethods');
  if (patch.rateLimit !== undefined) set.rate_limit = checkRateLimit(patch.rateLimit);
  await db.updateTable('apps').set(set).where('id', '=', current.id).execute();
  if (set.rate_limit !== undefined && set.rate_limit !== current.rateLimit) await startFreshWindow(db, { idPrefix: appGrantId(current.id, '') }, set.rate_limit);
  appsChanged.raise();
  return getApp(db, id, userId);
}

/** New client secret (confidential clients) and consumer secret; the old ones stop working at once. */
export async function rotateAppSecrets(db: Kysely<Database>, box: SecretBox, id: string, userId?: string): Promise<{ app: App; secrets: AppSecrets }> {
  const current = await getApp(db, id, userId);
  const clientSecret = current.clientType === 'confidential' ? CLIENT_SECRET_PREFIX + randomBase62(40) : null;
  const consumerSecret = CONSUMER_SECRET_PREFIX + randomBase62(40);
  await db
    .updateTable('apps')
    .set({ client_secret_hash: clientSecret ? sha256Hex(clientSecret) : null, consumer_secret_enc: box.encrypt(consumerSecret), updated_at: Date.now() })
    .where('id', '=', current.id)
    .execute();
  appsChanged.raise();
  return { app: await getApp(db, id, userId), secrets: { clientSecret, consumerSecret } };
}

/** Deletes an app; its tokens go with it (foreign keys cascade). Answers the app as it was. */
export async function deleteApp(db: Kysely<Database>, id: string, userId?: string): Promise<App> {
  const current = await getApp(db, id, userId);
  await db.deleteFrom('apps').where('id', '=', current.id).execute();
  appsChanged.raise();
  return current;
}
