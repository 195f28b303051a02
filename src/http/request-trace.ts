import type { FastifyInstance } from 'fastify';
import { RelayError } from '../errors/index.js';
import { urlHoldsNul } from './nul-text.js';

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

/**
 * Gives every request its trace. Also where a request that arrives once the relay is closing (on a
 * keep-alive connection still busy with another) is refused: `shutting_down` in the relay's
 * envelope, in place of Fastify's own 503 body (its `return503OnClosing` is off for this), so
 * a workflow branching on `code` sees a code. Answered before any route work, as Fastify's is.
 */
export function registerRequestTrace(app: FastifyInstance, state: { closing: boolean } = { closing: false }): void {
  app.decorateRequest('trace', null as unknown as RequestTrace);
  // Callback style: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = {};
    if (urlHoldsNul(request.url)) return done(new RelayError('invalid_request', 'The URL holds %00 (NUL), which no id, name or filter may contain'));
    if (!state.closing) return done();
    done(new RelayError('shutting_down', undefined, undefined, { 'retry-after': SHUTDOWN_RETRY_AFTER_SECONDS }));
  });
}

/** A restarted relay (or the balancer's next instance) is usually there within seconds. */
const SHUTDOWN_RETRY_AFTER_SECONDS = '5';
