import type { FastifyInstance, FastifyRequest } from 'fastify';
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
export function registerJsonBody(
  app: FastifyInstance,
  opts: {
    bodyLimit: number;
    maxDepth: number;
    /**
     * Runs on the raw bytes before they are parsed, e.g. a signature check: a request that is
     * not authentic is refused as such, whatever its body holds, and its body is never parsed.
     */
    beforeParse?: (request: FastifyRequest) => Promise<void> | undefined;
  },
): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (request, body, done) => {
      const raw = body as Buffer;
      request.rawBody = raw;
      let checked: Promise<void> | undefined;
      try {
        checked = opts.beforeParse?.(request);
      } catch (err) {
        return done(err as Error, undefined);
      }
      if (checked) checked.then(() => parseJson(raw, opts.maxDepth, done), (err: Error) => done(err, undefined));
      else parseJson(raw, opts.maxDepth, done);
    },
  );
}

/** Parses the body as JSON (secure-json-parse, depth-limited); an empty body is no body. */
function parseJson(raw: Buffer, maxDepth: number, done: (err: Error | null, body?: unknown) => void): void {
  const text = raw.toString('utf8');
  // No body, as many clients send a DELETE or a bodiless POST with their usual JSON
  // Content-Type: not a JSON error. Routes that need a body refuse its absence themselves,
  // naming the field that is missing.
  if (text.trim() === '') return done(null, undefined);
  if (exceedsJsonDepth(text, maxDepth)) {
    return done(new RelayError('invalid_json', `JSON nesting deeper than ${maxDepth} levels`), undefined);
  }
  try {
    done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (err) {
    const message = err instanceof SyntaxError ? err.message : 'Forbidden key in JSON (__proto__ or constructor.prototype)';
    done(new RelayError('invalid_json', 'Request body is not valid JSON', { reason: message }), undefined);
  }
}
