/**
 * Pieces every documented route shares: the one error body, error responses that list the
 * codes each status can carry, and the security requirements for a scope.
 */
import { z } from 'zod';
import { errorCodes, type ErrorCode } from '../errors/codes.js';

const CODES = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/**
 * `{success:false, error, details, code, requestId}` — the envelope of every refusal. Loose so
 * that extra top-level fields (the 429 body's `limit` and `resetAt`) pass serialization.
 */
export const errorBodySchema = z
  .looseObject({
    success: z.literal(false),
    error: z.string().describe('Human-readable message'),
    details: z.unknown().describe('Machine-readable context (offending fields, Odoo exception name…), or null'),
    code: z.enum(CODES).describe('Stable error code: branch on this'),
    requestId: z.string().describe('Also in the X-Request-Id header and the request log'),
  })
  .meta({ id: 'Error', description: 'Error envelope shared by every route' });

/** Codes whose status is `status`, for response descriptions. */
export function codesWithStatus(status: number): ErrorCode[] {
  return CODES.filter((code) => errorCodes[code].status === status);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Refused',
  429: 'Rate limited (see X-RateLimit-* and Retry-After)',
  502: 'Odoo or a provider failed',
  503: 'Busy or not configured',
  504: 'Timed out',
};

/**
 * Error responses for a route: one entry per status, all the shared Error schema, each
 * description naming the codes that status can carry (from the one code table).
 */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: typeof errorBodySchema } } }> = {};
  for (const status of statuses) {
    const codes = codesWithStatus(status)
      .map((c) => `\`${c}\``)
      .join(', ');
    out[status] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}. Codes: ${codes}`,
      content: { 'application/json': { schema: errorBodySchema } },
    };
  }
  return out;
}

/** Statuses any authenticated call to Odoo can answer with. */
export const ODOO_CALL_ERRORS = [400, 401, 403, 404, 422, 429, 502, 503, 504];

/** Statuses of a call that sends a body: too large (413), not UTF-8 JSON (415). */
export const BODY_ERRORS = [413, 415];

/**
 * Security requirements: an API key (bearer or X-API-Key), an OAuth 2.0 token holding `scope`,
 * or an OAuth 1.0a signature. Alternatives, so any one suffices.
 */
export function securityFor(scope: string): Record<string, string[]>[] {
  return [{ bearerApiKey: [] }, { headerApiKey: [] }, { oauth2: [scope] }, { oauth1: [] }];
}
