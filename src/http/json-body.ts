import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { RelayError } from '../errors/index.js';
import { exceedsJsonDepth } from './json-depth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact request body bytes, kept for HMAC verification and idempotency hashing. */
    rawBody?: Buffer;
  }
}

/**
 * JSON bodies are read as bytes (kept for HMAC over the raw body), then parsed with
 * secure-json-parse so `__proto__`/`constructor.prototype` keys are refused instead of
 * polluting prototypes. An empty body is no body.
 */
export function registerJsonBody(app: FastifyInstance, opts: { bodyLimit: number; maxDepth: number }): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (request, body, done) => {
      const raw = body as Buffer;
      request.rawBody = raw;
      const text = raw.toString('utf8');
      // No body, as many clients send a DELETE or a bodiless POST with their usual JSON
      // Content-Type: not a JSON error. Routes that need a body refuse its absence themselves,
      // naming the field that is missing.
      if (text.trim() === '') return done(null, undefined);
      if (exceedsJsonDepth(text, opts.maxDepth)) {
        return done(new RelayError('invalid_json', `JSON nesting deeper than ${opts.maxDepth} levels`), undefined);
      }
      try {
        done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch (err) {
        const message = err instanceof SyntaxError ? err.message : 'Forbidden key in JSON (__proto__ or constructor.prototype)';
        done(new RelayError('invalid_json', 'Request body is not valid JSON', { reason: message }), undefined);
      }
    },
  );
}
