/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for `/mcp`, as the MCP authorization spec
 * asks of a server: an MCP client refused with 401 reads `resource_metadata` from the
 * WWW-Authenticate header, fetches this document and finds the relay's authorization server
 * there (RFC 8414 metadata at /.well-known/oauth-authorization-server). The client still needs
 * an app registered in the dashboard (its client id): the relay offers no dynamic registration.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { SCOPES } from '../auth/scopes.js';
import { issuerOf, varyByIssuer } from '../oauth2/issuer.js';
import { issuerPathOf } from '../oauth2/metadata-route.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The resource's metadata URL: the well-known path goes between the host and the resource's path (RFC 9728 §3.1). */
export function resourceMetadataUrl(ctx: AppContext, request: FastifyRequest): string {
  const issuer = issuerOf(ctx, request);
  return `${new URL(issuer).origin}${WELL_KNOWN}${issuerPathOf(issuer) ?? ''}/mcp`;
}

const metadata = z.object({
  resource: z.string(),
  authorization_servers: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  bearer_methods_supported: z.array(z.string()),
  resource_name: z.string(),
  resource_documentation: z.string(),
});

export function registerMcpResourceMetadata(app: FastifyInstance, ctx: AppContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const issuer = issuerOf(ctx, request);
    varyByIssuer(ctx, reply);
    return {
      resource: `${issuer}/mcp`,
      authorization_servers: [issuer],
      scopes_supported: [...SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'odoo-relay MCP server',
      resource_documentation: `${issuer}/api-reference`,
    };
  };
  app.get(`${WELL_KNOWN}${issuerPathOf(ctx.config.publicUrl) ?? ''}/mcp`, {
    schema: {
      tags: ['MCP'],
      summary: 'Protected resource metadata of /mcp (RFC 9728)',
      description: 'Where MCP clients find the authorization server for /mcp; named by the 401 answers of /mcp.',
      response: { 200: metadata },
    },
  }, handler);
}
