import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { requireSession } from '../auth/routes.js';
import { registerConnectionRoutes } from './connection-routes.js';
import { registerApiKeyRoutes } from './api-key-routes.js';
import { registerRequestLogRoutes } from './request-log-routes.js';
import { registerUserRoutes } from './user-routes.js';
import { registerDashboardStatic } from './static.js';

/** The relay's own public origin: PUBLIC_URL when configured, else what the browser used. */
function publicOrigin(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** The dashboard: its JSON API under /api/dashboard (session + CSRF) and the built single-page app at /. */
export async function registerDashboard(app: FastifyInstance, ctx: AppContext, opts: { webRoot?: string } = {}): Promise<void> {
  registerConnectionRoutes(app, ctx);
  registerApiKeyRoutes(app, ctx);
  registerRequestLogRoutes(app, ctx);
  registerUserRoutes(app, ctx);

  app.get('/api/dashboard/webhook', { preHandler: requireSession(ctx) }, async (request) => ({
    success: true,
    endpoint: `${publicOrigin(ctx, request)}/api/n8n/webhook`,
    publicUrlConfigured: Boolean(ctx.config.publicUrl),
    hmacToleranceSeconds: ctx.config.hmacToleranceSeconds,
  }));

  await registerDashboardStatic(app, opts.webRoot);
}
