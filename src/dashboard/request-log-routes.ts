import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { queryRequestLog } from '../request-log/query.js';
import { parseInput } from '../http/parse-input.js';
import { integerParam } from '../http/query-params.js';
import { listApiKeys } from '../auth/api-keys.js';
import { listUsers } from '../auth/users.js';

const optionalText = z
  .string()
  .trim()
  .max(128)
  .optional()
  .transform((v) => (v ? v : undefined));
// The dashboard's filter form sends an empty value for a filter left blank: that is no filter.
const optionalInt = (label: string, min: number, max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), integerParam(label, min, max).optional());
// Time bounds as epoch milliseconds or an ISO date-time.
const optionalTime = (label: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, c) => {
      if (!v) return undefined;
      const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (!Number.isFinite(n)) {
        c.addIssue({ code: 'custom', message: `${label} must be a date-time` });
        return z.NEVER;
      }
      return n;
    });

const filterQuery = z.object({
  apiKeyId: optionalText,
  action: optionalText,
  model: optionalText,
  status: optionalInt('status', 100, 599),
  since: optionalTime('since'),
  until: optionalTime('until'),
  before: optionalInt('before', 1, Number.MAX_SAFE_INTEGER),
  limit: optionalInt('limit', 1, 500),
});

/** Admins see every row; other users only the calls made with their keys or session. */
function scopeUserId(request: FastifyRequest): string | undefined {
  const user = request.session!.user;
  return user.role === 'admin' ? undefined : user.id;
}

/** The webhook request log: filtered, newest first, keyset-paged by `before`, plus one row's detail. */
export function registerRequestLogRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireSession(ctx) };

  app.get('/api/dashboard/request-log', guard, async (request) => {
    const f = parseInput(filterQuery, request.query);
    // Rows still buffered by the writer would otherwise be missing for up to 100 ms.
    await ctx.requestLog.flush();
    const page = await queryRequestLog(db, { ...f, limit: f.limit ?? 50, userId: scopeUserId(request) });
    return { success: true, ...page };
  });

  // The keys whose calls the caller sees, for the log's key filter: an admin's are everyone's,
  // each with its owner's name (an admin's own key list holds only their keys).
  app.get('/api/dashboard/request-log/api-keys', guard, async (request) => {
    const userId = scopeUserId(request);
    const keys = await listApiKeys(db, userId);
    const owners = userId ? null : new Map((await listUsers(db)).map((u) => [u.id, u.username]));
    return {
      success: true,
      apiKeys: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, revokedAt: k.revokedAt, owner: owners?.get(k.userId) ?? null })),
    };
  });

  app.get('/api/dashboard/request-log/:id', guard, async (request) => {
    const { id } = parseInput(z.object({ id: integerParam('id', 1, Number.MAX_SAFE_INTEGER) }), request.params);
    if (id === undefined) throw new RelayError('not_found', 'Request log entry not found');
    await ctx.requestLog.flush();
    const { rows } = await queryRequestLog(db, { before: id + 1, limit: 1, userId: scopeUserId(request) });
    const entry = rows[0];
    if (!entry || entry.id !== id) throw new RelayError('not_found', 'Request log entry not found');
    return { success: true, entry };
  });
}
