import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { TIMED_OUT, within } from '../async/deadline.js';

/** How long /readyz waits for the database: well under the usual probe timeouts (Kubernetes' 1 s is the exception; set timeoutSeconds above this). */
const READY_CHECK_MS = 2_000;

/** Liveness, readiness (database reachable) and Prometheus metrics. */
export function registerOpsRoutes(app: FastifyInstance, ctx: AppContext, state: { shuttingDown: boolean }): void {
  app.get('/healthz', async () => ({ success: true, status: 'ok' }));

  app.get('/readyz', async () => {
    if (state.shuttingDown) throw new RelayError('not_ready', 'Shutting down');
    let answered;
    try {
      // Bounded: a database that stops answering without closing its connections (frozen, or a
      // network path that drops packets) would otherwise hold the health check as long as it does.
      answered = await within(sql`select 1`.execute(ctx.storage.db), READY_CHECK_MS);
    } catch {
      throw new RelayError('not_ready', 'Database is not reachable');
    }
    if (answered === TIMED_OUT) throw new RelayError('not_ready', `Database did not answer within ${READY_CHECK_MS / 1000} s`);
    return { success: true, status: 'ready', database: ctx.storage.dialect };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
