import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface RequestLogFilter {
  userId?: string;
  apiKeyId?: string;
  action?: string;
  model?: string;
  status?: number;
  since?: number;
  until?: number;
  /** Rows with id below this (keyset paging, newest first). */
  before?: number;
  limit?: number;
}

export interface RequestLogRow {
  id: number;
  createdAt: number;
  requestId: string;
  userId: string | null;
  apiKeyId: string | null;
  keyPrefix: string | null;
  authMethod: string | null;
  action: string | null;
  model: string | null;
  method: string | null;
  status: number;
  code: string | null;
  durationMs: number;
  odooMs: number | null;
  ip: string | null;
  /** The third-party app when the call came with an OAuth token or signature. */
  appId: string | null;
  /** That app's name now (null once the app is deleted). */
  appName: string | null;
}

/** Newest-first page of the request log with filters; `nextBefore` continues the listing. */
export async function queryRequestLog(
  db: Kysely<Database>,
  f: RequestLogFilter,
): Promise<{ rows: RequestLogRow[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
  let q = db.selectFrom('request_log').selectAll().orderBy('id', 'desc').limit(limit + 1);
  if (f.userId) q = q.where('user_id', '=', f.userId);
  if (f.apiKeyId) q = q.where('api_key_id', '=', f.apiKeyId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.model) q = q.where('model', '=', f.model);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('created_at', '<', f.until);
  if (f.before !== undefined) q = q.where('id', '<', f.before);
  const rows = await q.execute();
  const appNames = await namesOfApps(db, rows.slice(0, limit).map((r) => r.app_id));
  const page = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    createdAt: r.created_at,
    requestId: r.request_id,
    userId: r.user_id,
    apiKeyId: r.api_key_id,
    keyPrefix: r.key_prefix,
    authMethod: r.auth_method,
    action: r.action,
    model: r.model,
    method: r.method,
    status: r.status,
    code: r.code,
    durationMs: r.duration_ms,
    odooMs: r.odoo_ms,
    appId: r.app_id,
    appName: r.app_id ? (appNames.get(r.app_id) ?? null) : null,
    ip: r.ip,
  }));
  return { rows: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** Current names of the apps a page of rows mentions (one query; rows keep only the id). */
async function namesOfApps(db: Kysely<Database>, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const apps = await db.selectFrom('apps').select(['id', 'name']).where('id', 'in', wanted).execute();
  return new Map(apps.map((a) => [a.id, a.name]));
}

/** Deletes rows past the retention age, then the oldest rows past the row cap. */
export async function pruneRequestLog(db: Kysely<Database>, retentionDays: number, maxRows: number): Promise<number> {
  const cutoff = Date.now() - retentionDays * 86_400_000;
  const aged = await db.deleteFrom('request_log').where('created_at', '<', cutoff).executeTakeFirst();
  let deleted = Number(aged.numDeletedRows);
  const nth = await db.selectFrom('request_log').select('id').orderBy('id', 'desc').offset(maxRows).limit(1).executeTakeFirst();
  if (nth) {
    const capped = await db.deleteFrom('request_log').where('id', '<=', Number(nth.id)).executeTakeFirst();
    deleted += Number(capped.numDeletedRows);
  }
  return deleted;
}
