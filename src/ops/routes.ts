import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';

/** Liveness, readiness (database reachable) and Prometheus metrics. */
export function registerOpsRoutes(app: FastifyInstance, ctx: AppContext, state: { shuttingDown: boolean }): void {
  app.get('/healthz', async () => ({ success: true, status: 'ok' }));

  app.get('/readyz', async () => {
    if (state.shuttingDown) throw new RelayError('not_ready', 'Shutting down');
    try {
      await sql`select 1`.execute(ctx.storage.db);
    } catch {
      throw new RelayError('not_ready', 'Database is not reachable');
    }
    return { success: true, status: 'ready', database: ctx.storage.dialect };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
