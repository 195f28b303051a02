import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { resolveConnection, saveDefaultConnection, validateConnectionInput } from '../connections/store.js';
import { checkConnectionToSave, loginSettingsOf, tryOdooLogin } from '../connections/login-check.js';
import { assertOdooOriginAllowed } from '../connections/origin-policy.js';
import { OdooClient } from '../odoo/index.js';
import { fromOdooError } from '../http/error-handler.js';
import { parseInput } from '../http/parse-input.js';

const connectionBody = z.object({
  url: z.string().trim().min(1, 'Odoo URL is required').max(2048),
  database: z.string().trim().min(1, 'Database is required').max(128),
  login: z.string().trim().min(1, 'Login is required').max(256),
  /** Omitted or empty keeps the stored password / API key, for the origin it was saved for only. */
  secret: z.string().max(4096).optional(),
  protocol: z.enum(['auto', 'jsonrpc', 'json2']).default('auto'),
  timeoutMs: z.number().int().min(100, 'Timeout must be at least 100 ms').max(600_000, 'Timeout must be at most 600000 ms').default(30_000),
  /** Omitted keeps the saved cap (4 for a new connection). */
  maxConcurrent: z
    .number({ error: 'Max concurrent calls must be a whole number' })
    .int('Max concurrent calls must be a whole number')
    .min(1, 'Max concurrent calls must be at least 1')
    .max(256, 'Max concurrent calls must be at most 256')
    .optional(),
});
type ConnectionBody = z.infer<typeof connectionBody>;

const urlOnly = z.object({ url: z.string().trim().min(1, 'Odoo URL is required').max(2048) });

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function withoutEmptySecret(body: ConnectionBody) {
  return { ...body, secret: body.secret ? body.secret : undefined };
}

/**
 * The user's Odoo connection: read (never the secret), save, test (saved or as typed in the
 * form, before saving) and list the server's databases (`db.list`) for the database picker.
 */
export function registerConnectionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireSession(ctx) };

  app.get('/api/dashboard/connection', guard, async (request) => {
    const found = await resolveConnection(db, request.session!.user.id, null);
    return { success: true, connection: found?.connection ?? null, hasSecret: Boolean(found) };
  });

  app.put('/api/dashboard/connection', guard, async (request) => {
    const userId = request.session!.user.id;
    const body = parseInput(connectionBody, request.body);
    const input = withoutEmptySecret(body);
    const found = await resolveConnection(db, userId, null);
    // Credentials Odoo refuses are not saved (odoo_auth_failed, thrown); when Odoo cannot be
    // asked, the save goes ahead and the answer carries the reason as a warning.
    const check = await checkConnectionToSave(ctx.box, input, found, ctx.config.odooAllowedOrigins);
    // Keep what the request does not say: the concurrency cap when it is omitted (older
    // clients of this API), and a name set with the CLI that is not just the old URL's host
    // (that default follows the URL).
    const saved = found?.connection;
    const customName = saved && saved.name !== hostOf(saved.url) ? saved.name : undefined;
    const connection = await saveDefaultConnection(db, ctx.box, userId, {
      ...input,
      name: customName,
      maxConcurrent: input.maxConcurrent ?? saved?.maxConcurrent,
    });
    if (check.ok) return { success: true, connection, hasSecret: true, result: check.result, warning: null };
    const w = fromOdooError(check.warning);
    return { success: true, connection, hasSecret: true, result: null, warning: { code: w.code, error: w.message, details: w.details ?? null } };
  });

  app.post('/api/dashboard/connection/test', guard, async (request) => {
    const userId = request.session!.user.id;
    const saved = await resolveConnection(db, userId, null);
    const hasForm = request.body && typeof request.body === 'object' && Object.keys(request.body).length > 0;
    if (!hasForm) {
      if (!saved) throw new RelayError('no_odoo_connection', 'No Odoo connection saved yet');
      const client = ctx.odooClients.get(saved.connection, saved.secretEnc);
      return { success: true, result: await client.testConnection() };
    }
    return { success: true, result: await tryOdooLogin(loginSettingsOf(ctx.box, withoutEmptySecret(parseInput(connectionBody, request.body)), saved, ctx.config.odooAllowedOrigins)) };
  });

  app.post('/api/dashboard/connection/databases', guard, async (request) => {
    const { url } = parseInput(urlOnly, request.body);
    const checked = validateConnectionInput({ url, database: '-', login: '-' });
    assertOdooOriginAllowed(checked.url, ctx.config.odooAllowedOrigins);
    // db.list needs no credentials; the placeholders are never sent.
    const client = new OdooClient({ url: checked.url, database: '-', login: '-', secret: '-', timeoutMs: 15_000, maxConcurrent: 1, maxQueue: 0 });
    try {
      return { success: true, databases: await client.listDatabases() };
    } finally {
      await client.close();
    }
  });
}
