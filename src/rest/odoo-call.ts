import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { odooForCaller } from '../actions/odoo-for-caller.js';
import { linkedModelsRefusal, relationsLoader } from '../actions/linked-models.js';

/**
 * Runs ORM calls on the caller's Odoo (concurrently when several), adding their wall time to
 * the request's Odoo time for the request log. Odoo's refusals throw OdooError, which the
 * error handler maps to the same codes as the webhook's.
 */
export async function callOdoo<T extends unknown[]>(
  ctx: AppContext,
  request: FastifyRequest,
  caller: Caller,
  calls: { [K in keyof T]: { model: string; method: string; args?: unknown[]; kwargs?: Record<string, unknown> } },
): Promise<T> {
  const { client, connection } = await odooForCaller(ctx, caller);
  // Values, domains and orders reaching models outside a model allow-list (answered at once when the key has none).
  const fieldsOf = relationsLoader(ctx.caches.fieldRelations, connection.id, client);
  for (const c of calls) {
    const refused = await linkedModelsRefusal(caller, c.model, c.method, c.args ?? [], c.kwargs ?? {}, fieldsOf);
    if (refused) throw refused;
  }
  // From the first send: a wait for a free slot is the relay's queue, not Odoo's time.
  const timings = calls.map(() => ({ sentAt: Number.NaN }));
  let outcome = 'error';
  try {
    const results = await Promise.all(calls.map((c, i) => client.executeKw(c.model, c.method, c.args ?? [], c.kwargs ?? {}, timings[i])));
    outcome = 'ok';
    return results as T;
  } finally {
    const sent = timings.map((t) => t.sentAt).filter((t) => !Number.isNaN(t));
    if (sent.length) {
      const ms = performance.now() - Math.min(...sent);
      request.trace.odooMs = (request.trace.odooMs ?? 0) + ms;
      ctx.metrics.odooDuration.observe({ outcome }, ms / 1000);
    }
  }
}
