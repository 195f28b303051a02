import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';

/**
 * POST /api/events/ingest/:token — where the relay's automation rules in Odoo post. The token
 * is the credential (unguessable, per rule, stored hashed); the answer is immediate.
 */
export function registerIngestRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/events/ingest/:token', async (request) => {
    const token = (request.params as { token: string }).token;
    if (!/^ing_[A-Za-z0-9_-]{20,64}$/.test(token)) throw new RelayError('unknown_ingest_token');
    const result = await ctx.events.ingest(token, request.body);
    return { success: true, result };
  });
}
