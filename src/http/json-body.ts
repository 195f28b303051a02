import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import sjson from 'secure-json-parse';
import { RelayError } from '../errors/index.js';
import { exceedsJsonDepth } from './json-depth.js';
import { jsonHoldsNul } from './nul-text.js';

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
      const refusedCharset = otherCharset(request.headers['content-type']);
      if (refusedCharset) {
        return done(new RelayError('unsupported_media_type', `JSON must be sent as UTF-8, not charset=${refusedCharset.slice(0, 40)}`), undefined);
      }
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

/**
 * The charset a JSON Content-Type names when it is not UTF-8 (RFC 8259 §8.1: JSON between
 * systems is UTF-8). The body would be read as UTF-8 all the same, and its text changed.
 * Skipped at once for the usual bare `application/json`.
 */
function otherCharset(contentType: string | undefined): string | undefined {
  if (!contentType || contentType.length <= 16) return undefined;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset) ? undefined : charset;
}

/** Parses the body as JSON (secure-json-parse, depth-limited); an empty body is no body. */
function parseJson(raw: Buffer, maxDepth: number, done: (err: Error | null, body?: unknown) => void): void {
  // Bytes that are not UTF-8 would be decoded to U+FFFD and the text stored changed: refused.
  if (!isUtf8(raw)) return done(new RelayError('invalid_json', 'Request body is not valid UTF-8'), undefined);
  const text = raw.toString('utf8');
  // No body, as many clients send a DELETE or a bodiless POST with their usual JSON
  // Content-Type: not a JSON error. Routes that need a body refuse its absence themselves,
  // naming the field that is missing.
  if (text.trim() === '') return done(null, undefined);
  if (exceedsJsonDepth(text, maxDepth)) {
    return done(new RelayError('invalid_json', `JSON nesting deeper than ${maxDepth} levels`), undefined);
  }
  let body: unknown;
  try {
    body = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = err instanceof SyntaxError ? err.message : 'Forbidden key in JSON (__proto__ or constructor.prototype)';
    return done(new RelayError('invalid_json', 'Request body is not valid JSON', { reason: message }), undefined);
  }
  // Valid JSON, which no database can store (see nul-text.ts): a bad value, not bad JSON.
  if (jsonHoldsNul(text)) {
    return done(new RelayError('invalid_request', 'A JSON string holds \\u0000 (NUL), which no name, value or filter may contain'), undefined);
  }
  done(null, body);
}
