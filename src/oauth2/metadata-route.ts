import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { SCOPES } from '../auth/scopes.js';
import { issuerOf, varyByIssuer } from './issuer.js';

const metadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  revocation_endpoint: z.string(),
  introspection_endpoint: z.string(),
  scopes_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  response_modes_supported: z.array(z.string()),
  grant_types_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  revocation_endpoint_auth_methods_supported: z.array(z.string()),
  introspection_endpoint_auth_methods_supported: z.array(z.string()),
  code_challenge_methods_supported: z.array(z.string()),
  authorization_response_iss_parameter_supported: z.boolean(),
});

const WELL_KNOWN = '/.well-known/oauth-authorization-server';

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414): how clients discover the endpoints.
 * When PUBLIC_URL has a path (the relay served under a prefix), the issuer has it too, and
 * RFC 8414 §3.1 clients look for the metadata at the well-known path followed by the issuer's
 * path: that path answers as well, for the proxy to forward.
 */
export function registerMetadataRoute(app: FastifyInstance, ctx: AppContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const issuer = issuerOf(ctx, request);
    varyByIssuer(ctx, reply);
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      scopes_supported: [...SCOPES],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    };
  };
  const schema = {
    tags: ['OAuth 2.0'],
    summary: 'Authorization server metadata (RFC 8414)',
    description: 'The issuer is PUBLIC_URL when configured, else the origin the request came to.',
    response: { 200: metadata },
  };
  app.get(WELL_KNOWN, { schema }, handler);
  const issuerPath = issuerPathOf(ctx.config.publicUrl);
  if (issuerPath) app.get(WELL_KNOWN + issuerPath, { schema: { ...schema, hide: true } }, handler);
}

/** The path of PUBLIC_URL without its trailing slash, or null when it has none ('/api' → '/api'). */
export function issuerPathOf(publicUrl: string | undefined): string | null {
  if (!publicUrl) return null;
  const path = new URL(publicUrl).pathname.replace(/\/+$/, '');
  return path === '' ? null : path;
}
