import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/** The authorization server's issuer identifier (RFC 8414 §2): PUBLIC_URL, else the origin the request came to. */
export function issuerOf(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/**
 * For an answer that names the issuer: without PUBLIC_URL it follows the Host header, and a
 * shared cache must not hand one host's URLs to another's clients.
 */
export function varyByIssuer(ctx: AppContext, reply: FastifyReply): void {
  if (ctx.config.publicUrl) return;
  const vary = reply.getHeader('vary');
  reply.header('vary', `${vary ? `${String(vary)}, ` : ''}Host, X-Forwarded-Host, X-Forwarded-Proto`);
}
