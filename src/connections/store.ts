import type { Kysely } from 'kysely';
import type { Database, OdooConnectionsTable } from '../storage/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { newId } from '../ids/random.js';
import { RelayError } from '../errors/index.js';
import { isUniqueViolation } from '../storage/unique-violation.js';
import { ChangeSignal } from '../cache/ttl-cache.js';

/** Raised by every connection change in this process, so connection caches drop stale entries. */
export const connectionsChanged = new ChangeSignal();

export type OdooProtocolSetting = 'auto' | 'jsonrpc' | 'json2';

/** An Odoo connection as shown to its owner: never the secret. */
export interface OdooConnection {
  id: string;
  userId: string;
  name: string;
  url: string;
  database: string;
  login: string;
  protocol: OdooProtocolSetting;
  timeoutMs: number;
  maxConcurrent: number;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface OdooConnectionInput {
  name?: string;
  url: string;
  database: string;
  login: string;
  /** Odoo password or API key; omitted on update keeps the stored one. */
  secret?: string;
  protocol?: OdooProtocolSetting;
  timeoutMs?: number;
  maxConcurrent?: number;
}

function toConnection(row: OdooConnectionsTable): OdooConnection {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    url: row.url,
    database: row.database,
    login: row.login,
    protocol: row.protocol,
    timeoutMs: row.timeout_ms,
    maxConcurrent: row.max_concurrent,
    isDefault: row.is_default === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Normalizes and checks the user's input; the URL keeps only origin and path. */
export function validateConnectionInput(input: OdooConnectionInput): Required<Omit<OdooConnectionInput, 'secret'>> & { secret?: string } {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new RelayError('invalid_request', 'Odoo URL is not a valid URL', { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RelayError('invalid_request', 'Odoo URL must start with http:// or https://', { field: 'url' });
  }
  if (url.username || url.password) {
    throw new RelayError('invalid_request', 'Put credentials in login and password, not in the URL', { field: 'url' });
  }
  const database = input.database.trim();
  if (!database || database.length > 128) throw new RelayError('invalid_request', 'Database name is required', { field: 'database' });
  const login = input.login.trim();
  if (!login || login.length > 256) throw new RelayError('invalid_request', 'Login is required', { field: 'login' });
  if (input.secret !== undefined && (input.secret.length === 0 || input.secret.length > 4096)) {
    throw new RelayError('invalid_request', 'Password or API key is required', { field: 'secret' });
  }
  const protocol = input.protocol ?? 'auto';
  if (!['auto', 'jsonrpc', 'json2'].includes(protocol)) {
    throw new RelayError('invalid_request', 'Protocol must be auto, jsonrpc or json2', { field: 'protocol' });
  }
  const timeoutMs = input.timeoutMs ?? 30_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
    throw new RelayError('invalid_request', 'Timeout must be 100–600000 ms', { field: 'timeoutMs' });
  }
  const maxConcurrent = input.maxConcurrent ?? 4;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 256) {
    throw new RelayError('invalid_request', 'Max concurrent calls must be 1–256', { field: 'maxConcurrent' });
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return {
    name: (input.name ?? url.host).trim().slice(0, 100) || url.host,
    url: base,
    database,
    login,
    secret: input.secret,
    protocol,
    timeoutMs,
    maxConcurrent,
  };
}

/**
 * Refuses to send a saved password or API key to `url` unless it has the origin (scheme, host,
 * port) the secret was saved for. Otherwise anyone holding a session could point the connection
 * at a server of theirs and receive the secret the API never shows. Both URLs have passed
 * validateConnectionInput.
 */
export function assertSavedSecretFits(savedUrl: string, url: string): void {
  const origin = new URL(savedUrl).origin;
  if (new URL(url).origin !== origin) {
    throw new RelayError('invalid_request', `Enter the password or API key again: the saved one is only sent to ${origin}`, { field: 'secret' });
  }
}

/** Creates or replaces the user's default Odoo connection (the one API keys act on). */
export async function saveDefaultConnection(
  db: Kysely<Database>,
  box: SecretBox,
  userId: string,
  input: OdooConnectionInput,
): Promise<OdooConnection> {
  try {
    return await saveDefault(db, box, userId, input);
  } catch (err) {
    // A concurrent first save inserted the default in between (one default per user is a
    // unique index): this save then replaces it, as it would have a moment later.
    if (!isUniqueViolation(err)) throw err;
    return saveDefault(db, box, userId, input);
  }
}

async function saveDefault(db: Kysely<Database>, box: SecretBox, userId: string, input: OdooConnectionInput): Promise<OdooConnection> {
  const v = validateConnectionInput(input);
  const now = Date.now();
  const existing = await db
    .selectFrom('odoo_connections')
    .selectAll()
    .where('user_id', '=', userId)
    .where('is_default', '=', 1)
    .executeTakeFirst();
  if (existing) {
    if (v.secret === undefined) assertSavedSecretFits(existing.url, v.url);
    await db
      .updateTable('odoo_connections')
      .set({
        name: v.name,
        url: v.url,
        database: v.database,
        login: v.login,
        protocol: v.protocol,
        timeout_ms: v.timeoutMs,
        max_concurrent: v.maxConcurrent,
        updated_at: Math.max(now, existing.updated_at + 1),
        ...(v.secret !== undefined ? { secret_enc: box.encrypt(v.secret) } : {}),
      })
      .where('id', '=', existing.id)
      .execute();
    connectionsChanged.raise();
    return getConnection(db, existing.id);
  }
  if (v.secret === undefined) throw new RelayError('invalid_request', 'Password or API key is required', { field: 'secret' });
  const row: OdooConnectionsTable = {
    id: newId('con'),
    user_id: userId,
    name: v.name,
    url: v.url,
    database: v.database,
    login: v.login,
    secret_enc: box.encrypt(v.secret),
    protocol: v.protocol,
    timeout_ms: v.timeoutMs,
    max_concurrent: v.maxConcurrent,
    is_default: 1,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('odoo_connections').values(row).execute();
  connectionsChanged.raise();
  return toConnection(row);
}

export async function getConnection(db: Kysely<Database>, id: string): Promise<OdooConnection> {
  const row = await db.selectFrom('odoo_connections').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new RelayError('no_odoo_connection');
  return toConnection(row);
}

export type ResolvedConnection = { connection: OdooConnection; secretEnc: string };

/** The connection a caller acts on: the key's pinned one, else the user's default; with the sealed secret. */
export async function resolveConnection(
  db: Kysely<Database>,
  userId: string,
  connectionId: string | null,
): Promise<ResolvedConnection | null> {
  let q = db.selectFrom('odoo_connections').selectAll().where('user_id', '=', userId);
  q = connectionId ? q.where('id', '=', connectionId) : q.where('is_default', '=', 1);
  const row = await q.executeTakeFirst();
  return row ? { connection: toConnection(row), secretEnc: row.secret_enc } : null;
}

