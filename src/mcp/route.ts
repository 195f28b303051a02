/**
 * `/mcp`: the MCP server over Streamable HTTP (stateless: every POST is self-contained, so any
 * relay instance can answer it). Authenticated by the relay's API keys only — a browser
 * session cookie would let any web page drive the tools — and bound by their scopes,
 * allow-lists and rate limits, exactly like the webhook. Writes need a key with the webhook
 * scope AND `?allow_writes=true` in the URL the client is configured with.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AppContext } from '../context.js';
import { authenticateCaller, credentialName, type Caller, type GrantCaller } from '../auth/caller.js';
import { enforceKeyRateLimit } from '../auth/rate-limit.js';
import { RelayError, statusOf } from '../errors/index.js';
import { odooForCaller } from '../actions/odoo-for-caller.js';
import { callerMayWrite, type ToolEnv } from '../chat/tools.js';
import { relationsLoader } from '../actions/linked-models.js';
import { toolStepLogger } from '../chat/tool-log.js';
import { buildMcpServer } from './server.js';
import { registerMcpResourceMetadata, resourceMetadataUrl } from './resource-metadata.js';

async function authenticateMcp(ctx: AppContext, request: FastifyRequest, reply: { headers(h: Record<string, string>): unknown }): Promise<GrantCaller> {
  const noSession = 'MCP needs an API key (Authorization: Bearer sk_live_…) or an OAuth 2.0 access token';
  let caller: Caller;
  try {
    caller = await authenticateCaller(ctx, request);
  } catch (err) {
    if (!(err instanceof RelayError) || statusOf(err.code) !== 401) throw err;
    // The general refusal offers a session cookie too, which MCP does not take.
    const message = err.code === 'unauthenticated' ? noSession : err.message;
    throw new RelayError(err.code, message, err.details, { ...err.headers, 'www-authenticate': withResourceMetadata(ctx, request, err.headers?.['www-authenticate']) });
  }
  if (caller.kind === 'session') throw new RelayError('unauthenticated', noSession, undefined, { 'www-authenticate': withResourceMetadata(ctx, request, undefined) });
  await enforceKeyRateLimit(ctx.rateLimiter, caller.grant, reply, () => ctx.metrics.rateLimited.inc());
  // The key's owner asked for every request to be signed; MCP clients cannot sign, so the key is refused rather than the rule skipped.
  if (caller.kind === 'api_key' && caller.hmacSecretEnc) {
    throw new RelayError('invalid_signature', 'This API key requires HMAC-signed requests, which MCP clients cannot send; use a key without HMAC for MCP', {
      reason: 'hmac_key_not_usable_for_mcp',
    });
  }
  if (!caller.grant.scopes.some((s) => s === 'webhook' || s === 'read')) {
    throw new RelayError('forbidden_scope', `This ${credentialName(caller)} lacks the webhook or read scope`, { required: 'read' });
  }
  return caller;
}

/** A 401's Bearer challenge naming where MCP clients find the authorization server (RFC 9728 §5.1). */
function withResourceMetadata(ctx: AppContext, request: FastifyRequest, challenge: string | undefined): string {
  return `${challenge ?? 'Bearer realm="odoo-relay"'}, resource_metadata="${resourceMetadataUrl(ctx, request)}"`;
}

function wantsWrites(request: FastifyRequest): boolean {
  const q = (request.query ?? {}) as Record<string, unknown>;
  return q.allow_writes === 'true' || q.allow_writes === '1';
}

export function registerMcpRoute(app: FastifyInstance, ctx: AppContext): void {
  registerMcpResourceMetadata(app, ctx);
  const relayErrorHandler = app.errorHandler;
  app.post('/mcp', {
    // A body that is not JSON is JSON-RPC's parse error (-32700), which MCP clients read; every
    // other refusal keeps the relay's envelope (auth, scopes, rate limits), as the docs say.
    errorHandler(error, request, reply) {
      if (error instanceof RelayError && error.code === 'invalid_json') {
        return reply.code(400).send({ jsonrpc: '2.0', error: { code: -32700, message: `Parse error: ${error.message}` }, id: null });
      }
      return relayErrorHandler.call(this, error, request, reply);
    },
  }, async (request, reply) => {
    request.trace.action = 'mcp';
    const caller = await authenticateMcp(ctx, request, reply);
    const allowWrites = wantsWrites(request);
    if (allowWrites && !callerMayWrite(caller)) {
      throw new RelayError('forbidden_scope', 'allow_writes needs an API key with the webhook scope; this key is read-only', { required: 'webhook' });
    }

    let envPromise: Promise<ToolEnv> | undefined;
    const env = () =>
      (envPromise ??= (async (): Promise<ToolEnv> => {
        const { connection, client } = await odooForCaller(ctx, caller);
        return {
          caller,
          client,
          connectionId: connection.id,
          maxRowsPerCall: ctx.config.chatLimits.maxRowsPerCall,
          allowWrites,
          fieldsCache: ctx.chat.fieldsCache,
          relations: relationsLoader(ctx.caches.fieldRelations, connection.id, client),
          onStep: toolStepLogger(ctx, request, 'mcp.tool'),
        };
      })());

    const server = buildMcpServer(caller, allowWrites, env);
    // Stateless: no session id, plain JSON answers (no SSE stream to keep open).
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    // Headers set so far (rate limit, security headers, request id) would be lost with the hijack.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string);
    reply.raw.setHeader('x-request-id', request.id);
    reply.raw.on('close', () => {
      const closed = (err: unknown) => request.log.warn({ err, reqId: request.id }, 'closing the MCP session failed');
      transport.close().catch(closed);
      server.close().catch(closed);
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (err) {
      // After the hijack Fastify's error handler cannot answer; do it here, without the error's text.
      request.log.error({ err, reqId: request.id }, 'mcp request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
      }
    }
  });

  // Stateless mode has no server-to-client stream to GET and no session to DELETE.
  const notAllowed = async (_request: FastifyRequest, reply: import('fastify').FastifyReply) =>
    reply
      .code(405)
      .header('allow', 'POST')
      .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; use POST' }, id: null });
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);
}
