import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/** The authorization server's issuer identifier (RFC 8414 §2): PUBLIC_URL, else the origin the request came to. */
export function issuerOf(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
