import type { Kysely } from 'kysely';
import type { Database, ApiKeysTable } from '../storage/schema.js';
import { newId, randomBase62, sha256Hex } from '../ids/random.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { RelayError } from '../errors/index.js';
import type { Scope } from './scopes.js';
import { ChangeSignal } from '../cache/ttl-cache.js';
import { startFreshWindow } from './rate-limit.js';
import { allowListColumn, checkRateLimit, checkScopes } from './credential-rules.js';

/** Raised by every key mutation in this process, so key caches drop stale entries at once. */
export const apiKeysChanged = new ChangeSignal();

export const KEY_PREFIX = 'sk_live_';
const KEY_RANDOM_LENGTH = 40;
const VISIBLE_PREFIX_LENGTH = KEY_PREFIX.length + 6;
const KEY_SHAPE = /^sk_live_[0-9A-Za-z]{32,128}$/;

export interface ApiKey {
  id: string;
  userId: string;
  connectionId: string | null;
  name: string;
  prefix: string;
  scopes: Scope[];
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
  rateLimit: number;
  hmacEnabled: boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

export interface NewApiKeyInput {
  userId: string;
  name: string;
  scopes?: Scope[];
  connectionId?: string | null;
  allowedModels?: string[] | null;
  allowedMethods?: string[] | null;
  rateLimit?: number;
  hmac?: boolean;
  expiresAt?: number | null;
}

function toApiKey(row: ApiKeysTable): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    connectionId: row.connection_id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes),
    allowedModels: row.allowed_models ? JSON.parse(row.allowed_models) : null,
    allowedMethods: row.allowed_methods ? JSON.parse(row.allowed_methods) : null,
    rateLimit: row.rate_limit,
    hmacEnabled: row.hmac_secret_enc !== null,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}

export function generateHmacSecret(): string {
  return `hmac_${randomBase62(40)}`;
}

/**
 * Creates a key. The plaintext key (and HMAC secret, when enabled) is returned here and
 * nowhere else: only a SHA-256 hash and a short visible prefix are stored.
 */
export async function createApiKey(
  db: Kysely<Database>,
  box: SecretBox,
  input: NewApiKeyInput,
  defaultRateLimit: number,
): Promise<{ apiKey: ApiKey; key: string; hmacSecret: string | null }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new RelayError('invalid_request', 'Name must be 1–100 characters', { field: 'name' });
  const rateLimit = checkRateLimit(input.rateLimit ?? defaultRateLimit);
  const expiresAt = checkExpiry(input.expiresAt ?? null);
  await checkConnectionOwner(db, input.userId, input.connectionId ?? null);
  const key = KEY_PREFIX + randomBase62(KEY_RANDOM_LENGTH);
  const hmacSecret = input.hmac ? generateHmacSecret() : null;
  const row: ApiKeysTable = {
    id: newId('key'),
    user_id: input.userId,
    connection_id: input.connectionId ?? null,
    name,
    prefix: key.slice(0, VISIBLE_PREFIX_LENGTH),
    key_hash: sha256Hex(key),
    scopes: JSON.stringify(checkScopes(input.scopes ?? ['webhook'])),
    allowed_models: allowListColumn(input.allowedModels, 'allowedModels'),
    allowed_methods: allowListColumn(input.allowedMethods, 'allowedMethods'),
    rate_limit: rateLimit,
    hmac_secret_enc: hmacSecret ? box.encrypt(hmacSecret) : null,
    expires_at: expiresAt,
    revoked_at: null,
    last_used_at: null,
    created_at: Date.now(),
  };
  await db.insertInto('api_keys').values(row).execute();
  apiKeysChanged.raise();
  return { apiKey: toApiKey(row), key, hmacSecret };
}

export type KeyLookup =
  | { ok: true; apiKey: ApiKey; hmacSecretEnc: string | null }
  | { ok: false; code: 'invalid_api_key' }
  /** A known key that may no longer be used: who it belonged to, for the request log. */
  | { ok: false; code: 'api_key_revoked' | 'api_key_expired' | 'account_disabled'; apiKey: ApiKey };

/**
 * Finds the key behind a presented secret. Refusals are returned, not thrown: they are the
 * expected outcome for a bad caller. The lookup is by SHA-256 of the key, so the database
 * index never compares secrets.
 */
export async function lookupApiKey(db: Kysely<Database>, presented: string, now = Date.now()): Promise<KeyLookup> {
  if (!KEY_SHAPE.test(presented)) return { ok: false, code: 'invalid_api_key' };
  const found = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('api_keys')
    .select('users.disabled_at as owner_disabled_at')
    .where('api_keys.key_hash', '=', sha256Hex(presented))
    .executeTakeFirst();
  if (!found) return { ok: false, code: 'invalid_api_key' };
  const { owner_disabled_at, ...row } = found;
  if (row.revoked_at !== null) return { ok: false, code: 'api_key_revoked', apiKey: toApiKey(row) };
  if (row.expires_at !== null && row.expires_at <= now) return { ok: false, code: 'api_key_expired', apiKey: toApiKey(row) };
  if (owner_disabled_at !== null) return { ok: false, code: 'account_disabled', apiKey: toApiKey(row) };
  return { ok: true, apiKey: toApiKey(row), hmacSecretEnc: row.hmac_secret_enc };
}

export async function listApiKeys(db: Kysely<Database>, userId?: string): Promise<ApiKey[]> {
  let q = db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc');
  if (userId) q = q.where('user_id', '=', userId);
  return (await q.execute()).map(toApiKey);
}

export async function getApiKey(db: Kysely<Database>, id: string, userId?: string): Promise<ApiKey> {
  let q = db.selectFrom('api_keys').selectAll().where('id', '=', id);
  if (userId) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirst();
  if (!row) throw new RelayError('not_found', 'API key not found');
  return toApiKey(row);
}

/** Revokes a key at once; revocation is permanent. */
export async function revokeApiKey(db: Kysely<Database>, id: string, userId?: string): Promise<ApiKey> {
  let q = db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', id).where('revoked_at', 'is', null);
  if (userId) q = q.where('user_id', '=', userId);
  await q.execute();
  apiKeysChanged.raise();
  return getApiKey(db, id, userId);
}

export interface ApiKeyUpdate {
  name?: string;
  scopes?: Scope[];
  allowedModels?: string[] | null;
  allowedMethods?: string[] | null;
  rateLimit?: number;
  expiresAt?: number | null;
  connectionId?: string | null;
}

/** An expiry must be a timestamp in the future: an unreadable date (the CLI's --expires parses to NaN) must not become a key that never expires. */
function checkExpiry(expiresAt: number | null): number | null {
  if (expiresAt !== null && !(Number.isInteger(expiresAt) && expiresAt > Date.now())) {
    throw new RelayError('invalid_request', 'Expiry must be a date in the future, such as 2027-06-30', { field: 'expiresAt' });
  }
  return expiresAt;
}

/** A key acts on its owner's Odoo: it may be pinned to one of the owner's connections only. */
async function checkConnectionOwner(db: Kysely<Database>, userId: string, connectionId: string | null): Promise<void> {
  if (connectionId === null) return;
  const owned = await db.selectFrom('odoo_connections').select('id').where('id', '=', connectionId).where('user_id', '=', userId).executeTakeFirst();
  if (!owned) throw new RelayError('invalid_request', "The connection is not one of the key owner's Odoo connections", { field: 'connectionId' });
}

export async function updateApiKey(db: Kysely<Database>, id: string, userId: string | undefined, patch: ApiKeyUpdate): Promise<ApiKey> {
  const current = await getApiKey(db, id, userId);
  const set: Partial<ApiKeysTable> = {};
  if (patch.name !== undefined) {
    const name = patch.name.trim();
    if (!name || name.length > 100) throw new RelayError('invalid_request', 'Name must be 1–100 characters', { field: 'name' });
    set.name = name;
  }
  if (patch.scopes !== undefined) set.scopes = JSON.stringify(checkScopes(patch.scopes));
  if (patch.allowedModels !== undefined) set.allowed_models = allowListColumn(patch.allowedModels, 'allowedModels');
  if (patch.allowedMethods !== undefined) set.allowed_methods = allowListColumn(patch.allowedMethods, 'allowedMethods');
  if (patch.rateLimit !== undefined) set.rate_limit = checkRateLimit(patch.rateLimit);
  if (patch.expiresAt !== undefined) set.expires_at = checkExpiry(patch.expiresAt);
  if (patch.connectionId !== undefined) {
    await checkConnectionOwner(db, current.userId, patch.connectionId);
    set.connection_id = patch.connectionId;
  }
  if (Object.keys(set).length) await db.updateTable('api_keys').set(set).where('id', '=', current.id).execute();
  if (set.rate_limit !== undefined && set.rate_limit !== current.rateLimit) await startFreshWindow(db, { id: current.id }, set.rate_limit);
  apiKeysChanged.raise();
  return getApiKey(db, id, userId);
}

/** Turns HMAC on with a fresh secret (also used to rotate), or off. Returns the new secret once. */
export async function setApiKeyHmac(
  db: Kysely<Database>,
  box: SecretBox,
  id: string,
  userId: string | undefined,
  enabled: boolean,
): Promise<{ apiKey: ApiKey; hmacSecret: string | null }> {
  await getApiKey(db, id, userId);
  const hmacSecret = enabled ? generateHmacSecret() : null;
  await db
    .updateTable('api_keys')
    .set({ hmac_secret_enc: hmacSecret ? box.encrypt(hmacSecret) : null })
    .where('id', '=', id)
    .execute();
  apiKeysChanged.raise();
  return { apiKey: await getApiKey(db, id, userId), hmacSecret };
}

/**
 * Records use without a write per request: at most one update per key per minute per process.
 */
export class LastUsedTracker {
  private readonly written = new Map<string, number>();
  constructor(private readonly db: Kysely<Database>) {}

  touch(keyId: string, now = Date.now()): Promise<void> | undefined {
    const last = this.written.get(keyId) ?? 0;
    if (now - last < 60_000) return undefined;
    this.written.set(keyId, now);
    return this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute().then(() => undefined);
  }
}
