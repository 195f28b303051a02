import type { Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import { buildApp } from './app.js';
import { pruneRequestLog } from './request-log/query.js';
import { purgeExpiredSessions } from './auth/sessions.js';
import { pruneExpiredRateLimits } from './auth/rate-limit.js';
import { pruneFinishedEvents } from './events/outbox.js';
import { pruneExpiredOAuth2 } from './oauth2/store.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface RunningRelay {
  url: string;
  app: FastifyInstance;
  ctx: AppContext;
  /**
   * Starts shutting down without stopping: /readyz answers 503 while requests are served as
   * before, for SHUTDOWN_DRAIN_MS or until close(); resolves then.
   */
  drain(): Promise<void>;
  /** Ends a drain, stops accepting, lets in-flight requests finish, stops the worker and the database. */
  close(): Promise<void>;
}

/** Starts the relay: database, HTTP listener and housekeeping timers. */
export async function startRelay(config: Config, logger?: Logger): Promise<RunningRelay> {
  const ctx = await createContext(config, logger);
  const { app, state } = await buildApp(ctx);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const housekeeping = async () => {
    try {
      await pruneRequestLog(ctx.storage.db, config.requestLogRetentionDays, config.requestLogMaxRows);
      await ctx.idempotency.purgeExpired();
      await purgeExpiredSessions(ctx.storage.db);
      await ctx.storage.db.deleteFrom('hmac_nonces').where('expires_at', '<=', Date.now()).execute();
      await pruneExpiredRateLimits(ctx.storage.db);
      await pruneExpiredOAuth2(ctx.storage.db);
      await pruneFinishedEvents(ctx.storage.db, Date.now() - config.events.retentionDays * 86_400_000);
    } catch (err) {
      ctx.logger.warn({ err }, 'housekeeping failed');
    }
  };
  // Deliveries and polls start once the ingest route listens (push hints need it).
  await ctx.events.start();

  const timer = setInterval(housekeeping, 10 * 60_000);
  timer.unref();
  void housekeeping();

  // The drain is the time a load balancer needs to see /readyz fail and stop sending requests
  // here: it keeps routing to this instance until its checks fail, and a listener closed at once
  // would refuse those requests instead.
  let draining: Promise<void> | undefined;
  let endDrain = () => {};
  const drain = () =>
    (draining ??= new Promise<void>((resolve) => {
      state.shuttingDown = true;
      const drainTimer = setTimeout(resolve, config.shutdownDrainMs);
      endDrain = () => {
        clearTimeout(drainTimer);
        resolve();
      };
    }));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state.shuttingDown = true;
      endDrain();
      clearInterval(timer);
      // Calls still waiting for an Odoo slot are answered 503 odoo_busy now, unsent, rather than
      // started while the process stops (and possibly cut off by SHUTDOWN_GRACE_MS once sent).
      ctx.odooClients.stopQueues();
      // Fastify stops accepting, lets in-flight requests finish, then resolves. Requests that
      // still come on busy keep-alive connections are refused `shutting_down` meanwhile.
      state.closing = true;
      await app.close();
      // Stops the poller and the worker (in-flight sends finish within SHUTDOWN_GRACE_MS), then the database.
      await ctx.close();
    })());
  return { url, app, ctx, drain, close };
}
