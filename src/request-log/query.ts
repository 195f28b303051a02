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
  // The app's current name comes with the row (null once the app is deleted); rows keep only its id.
  let q = db
    .selectFrom('request_log')
    .leftJoin('apps', 'apps.id', 'request_log.app_id')
    .selectAll('request_log')
    .select('apps.name as app_name')
    .orderBy('request_log.id', 'desc')
    .limit(limit + 1);
  if (f.userId) q = q.where('request_log.user_id', '=', f.userId);
  if (f.apiKeyId) q = q.where('request_log.api_key_id', '=', f.apiKeyId);
  if (f.action) q = q.where('request_log.action', '=', f.action);
  if (f.model) q = q.where('request_log.model', '=', f.model);
  if (f.status !== undefined) q = q.where('request_log.status', '=', f.status);
  if (f.since !== undefined) q = q.where('request_log.created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('request_log.created_at', '<', f.until);
  if (f.before !== undefined) q = q.where('request_log.id', '<', f.before);
  const rows = await q.execute();
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
    appName: r.app_name ?? null,
    ip: r.ip,
  }));
  return { rows: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
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
