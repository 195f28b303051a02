import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppContext } from './context.js';
import { randomBase62 } from './ids/random.js';
import { statusOf } from './errors/index.js';
import { requestLogRow } from './request-log/row.js';
import { registerCors } from './http/cors.js';
import { registerJsonBody } from './http/json-body.js';
import { registerErrorHandling, routerRefusal } from './http/error-handler.js';
import { clientErrorHandler } from './http/client-error.js';
import { answerExpectContinue } from './http/unread-body.js';
import { registerRequestTrace } from './http/request-trace.js';
import { pageSecurityHeaders, securityHeadersFor } from './http/security-headers.js';
import { registerWebhookRoute } from './actions/webhook-route.js';
import { chargeRefusalBeforeCheck, verifyRequestHmac } from './auth/request-hmac.js';
import { registerAuthRoutes } from './auth/routes.js';
import { registerOpsRoutes } from './ops/routes.js';
import { registerSubscriptionRoutes } from './events/subscriptions-routes.js';
import { registerIngestRoute } from './events/ingest-route.js';
import { registerMcpRoute } from './mcp/route.js';
import { registerDashboard } from './dashboard/index.js';
import { registerOAuth1Routes } from './oauth1/routes.js';
import { registerRestRoutes, REST_ROUTES } from './rest/routes.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi/document.js';
import { registerOAuth2 } from './oauth2/index.js';

export interface RelayApp {
  app: FastifyInstance;
  /** shuttingDown: from the stop signal (drain included); closing: from the listener's close on. */
  state: { shuttingDown: boolean; closing: boolean };
}

const WEBHOOK_ROUTE = '/api/n8n/webhook';
/** Routes whose every call becomes a request log row: the webhook and the REST API over models. */
const LOGGED_ROUTES = new Set([WEBHOOK_ROUTE, ...REST_ROUTES]);

/**
 * Request ids: a random per-process prefix and a counter. Unique across instances and restarts
 * without drawing random bytes per request (a system call here, and a visible cost per call).
 */
function requestIds(): () => string {
  const prefix = `req_${randomBase62(8)}`;
  let counter = 0;
  return () => `${prefix}${(counter++).toString(36).padStart(6, '0')}`;
}

/** Trusts the nearest `hops` proxies: X-Forwarded-For's last `hops` entries, the client's own stay unheeded. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Builds the HTTP app from the capability plugins; the caller decides when to listen. */
export async function buildApp(ctx: AppContext): Promise<RelayApp> {
  const state = { shuttingDown: false, closing: false };
  const pageHeaders = pageSecurityHeaders();
  /** The headers every answer carries: security headers for its content type, the request id. */
  const answerHeaders = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(securityHeadersFor(reply.getHeader('content-type'), pageHeaders));
    reply.header('x-request-id', request.id);
    // A keep-alive socket that was busy when shutdown began would otherwise hold the server
    // open after its answer; asking the client to close it lets shutdown finish.
    if (state.shuttingDown) reply.header('connection', 'close');
  };
  const app = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    // Per-request lines would log every n8n call twice; the request log table records them instead.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count becomes the function Fastify itself builds for one (its types omit numbers).
    trustProxy: typeof ctx.config.trustProxy === 'number' ? trustHops(ctx.config.trustProxy) : ctx.config.trustProxy,
    bodyLimit: ctx.config.bodyLimitBytes,
    // Fastify's default is none: a body sent a byte at a time held its connection for ever.
    requestTimeout: ctx.config.requestTimeoutMs,
    genReqId: requestIds(),
    requestIdHeader: false,
    // Idle keep-alive sockets close at shutdown; in-flight requests finish first.
    forceCloseConnections: 'idle',
    // Its body is not the relay's envelope: registerRequestTrace answers `shutting_down` instead.
    return503OnClosing: false,
    // A trailing slash (`/api/v1/models/res.partner/9/`) names the same resource: without this it
    // matched a longer route with an empty last segment (the method-call route, answering 405).
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // No per-request child logger: creating one for every call was a measurable cost, and the
    // few lines logged during a request carry the request id explicitly.
    childLoggerFactory: (logger) => logger,
    // Fastify's default logs the parser's error with the raw request bytes (headers, cookies).
    clientErrorHandler,
    // The router's refusals come before any hook: their answer gets the headers here.
    frameworkErrors: (error, request, reply) => {
      reply.type('application/json; charset=utf-8');
      answerHeaders(request, reply);
      return routerRefusal(error, request, reply);
    },
  });

  answerExpectContinue(app.server, ctx.config.bodyLimitBytes);
  // Fastify sets requestTimeout after Node made the server, whose headersTimeout stays 60 s:
  // Node then let a body that stopped half-way hold its connection for 60–90 s whatever
  // REQUEST_TIMEOUT_MS said (measured with 1 s). Node's own default keeps it at most requestTimeout.
  app.server.headersTimeout = Math.min(app.server.headersTimeout, ctx.config.requestTimeoutMs);

  // Route schemas are zod: they validate requests, serialize responses and (through
  // @fastify/swagger) produce the OpenAPI document. Routes without a schema are unaffected.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Before any route: @fastify/swagger builds the OpenAPI document from routes as they are added.
  await registerOpenApi(app);
  await app.register(cookie);
  registerRequestTrace(app, state);
  registerJsonBody(app, {
    bodyLimit: ctx.config.bodyLimitBytes,
    maxDepth: ctx.config.jsonMaxDepth,
    // A signing key's request is checked before its body is parsed: an unsigned request with a
    // broken body is refused 401 invalid_signature (and gives back its rate-limit request), not 400.
    beforeParse: (request) => (request.caller ? verifyRequestHmac(ctx, request, request.caller) : undefined),
  });
  registerErrorHandling(app, (request, error) => chargeRefusalBeforeCheck(ctx, request, error));

  // The hooks every request runs are callback style: async ones cost a promise and a microtask
  // turn each, which is visible in the relay's CPU per call.
  app.addHook('onSend', (request, reply, payload, done) => {
    answerHeaders(request, reply);
    // The client left before its answer: Fastify runs no onResponse then (the answer never
    // finishes), so the call is recorded here, or an Odoo write it made would leave no trace.
    if (request.raw.socket?.destroyed) record(request, reply, true);
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (!request.trace?.abandoned) record(request, reply, false);
    done();
  });

  const record = (request: FastifyRequest, reply: FastifyReply, abandoned: boolean): void => {
    try {
      recordResponse(request, reply, abandoned);
    } catch (err) {
      request.log.error({ err, reqId: request.id }, 'recording the response failed');
    }
  };

  const recordResponse = (request: FastifyRequest, reply: FastifyReply, abandoned: boolean): void => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    const t = request.trace;
    if (abandoned) {
      t.abandoned = true;
      t.code = 'client_closed_request';
    }
    const status = abandoned ? statusOf('client_closed_request') : reply.statusCode;
    ctx.metrics.httpRequests.inc({ route, status: String(status) });
    ctx.metrics.httpDuration.observe({ route }, seconds);
    if (!LOGGED_ROUTES.has(route)) return;
    if (route === WEBHOOK_ROUTE) ctx.metrics.webhookActions.inc({ action: t.action ?? 'none', code: t.code ?? 'ok' });
    ctx.requestLog.add(
      requestLogRow(request, {
        action: t.action ?? null,
        model: t.model ?? null,
        method: t.method ?? null,
        status,
        code: t.code ?? null,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        odoo_ms: t.odooMs === undefined ? null : Math.round(t.odooMs * 100) / 100,
      }),
    );
  };

  registerOpsRoutes(app, ctx, state);
  registerAuthRoutes(app, ctx);
  registerWebhookRoute(app, ctx);
  // Browser apps on other origins may call only these routes, so only these pay for the CORS
  // hook: on the webhook it was a measurable share of every n8n call, for nothing.
  await app.register(async (crossOrigin) => {
    await registerCors(crossOrigin, ctx);
    registerRestRoutes(crossOrigin, ctx);
    registerOpenApiRoute(crossOrigin);
    await registerOAuth2(crossOrigin, ctx);
    // /api/v1/subscriptions: an app with the subscriptions scope manages them from the browser too.
    registerSubscriptionRoutes(crossOrigin, ctx);
  });
  registerIngestRoute(app, ctx);
  registerMcpRoute(app, ctx);
  await registerOAuth1Routes(app, ctx);
  await registerDashboard(app, ctx);
  return { app, state };
}
