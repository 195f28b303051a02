import type { FastifyInstance } from 'fastify';

/** What a request did, collected along the way for the request log and metrics. */
export interface RequestTrace {
  userId?: string;
  apiKeyId?: string;
  keyPrefix?: string;
  authMethod?: 'api_key' | 'session' | 'oauth2' | 'oauth1';
  /** The third-party app behind an OAuth 2.0 token or OAuth 1.0a signature. */
  appId?: string;
  action?: string;
  model?: string;
  method?: string;
  code?: string;
  odooMs?: number;
  /** A chat sent a writing call to Odoo: whatever ends the request, data may have changed. */
  odooWriteSent?: boolean;
  /** The client closed its connection before the answer: recorded then, not again at onResponse. */
  abandoned?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    trace: RequestTrace;
  }
}

export function registerRequestTrace(app: FastifyInstance): void {
  app.decorateRequest('trace', null as unknown as RequestTrace);
  // Callback style: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = {};
    done();
  });
}
