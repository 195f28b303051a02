import { errorCodes, type ErrorCode } from './codes.js';

/**
 * An error the relay answers with on purpose. `details` must be safe to show to the caller:
 * never a secret, never a stack trace.
 */
export class RelayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    /** Extra response headers (Retry-After, rate limit headers). */
    readonly headers?: Record<string, string>,
    /** Extra top-level fields of the error body (the seed's 429 body has `limit` and `resetAt`). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message ?? errorCodes[code].message);
    this.name = 'RelayError';
  }
}
