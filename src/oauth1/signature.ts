import crypto from 'node:crypto';
import { RelayError } from '../errors/index.js';
import { safeEqual } from '../ids/random.js';

/**
 * OAuth 1.0a request signing (RFC 5849 §3.4), as pure functions. Hand-written: no maintained
 * server-side verifier exists for Node (the npm packages sign as clients). Every function here
 * is deterministic so it can be checked against the RFC's own examples.
 */

/** The signature methods the relay verifies. PLAINTEXT sends the secret itself; RSA-SHA1 needs a per-app public key. */
export const SIGNATURE_METHODS = ['HMAC-SHA1', 'HMAC-SHA256'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** A name/value list: OAuth allows repeated names (`a=1&a=2`), so it is not a map. */
export type ParamPairs = [string, string][];

function badRequest(message: string, details?: unknown): RelayError {
  return new RelayError('oauth1_bad_request', message, details);
}

/** RFC 5849 §3.6: RFC 3986 percent-encoding of UTF-8, leaving only ALPHA / DIGIT / - . _ ~ bare. */
export function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    throw badRequest('A parameter is not valid UTF-8');
  }
}

/** Strict percent-decoding (no `+` for space, as in the Authorization header); malformed escapes are a bad request. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw badRequest('A parameter has a malformed percent-encoding');
  }
}

/** `application/x-www-form-urlencoded` decoding (`+` is a space), as RFC 5849 §3.4.1.3.1 prescribes for query and body. */
function formDecode(value: string): string {
  return percentDecode(value.replace(/\+/g, ' '));
}

/**
 * A query string or form body as name/value pairs, in order, repeats kept. `c2` (no `=`) is
 * `c2` with an empty value; empty segments (`a=1&&b=2`) are skipped.
 */
export function parseFormPairs(text: string): ParamPairs {
  const pairs: ParamPairs = [];
  for (const segment of text.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    pairs.push(eq === -1 ? [formDecode(segment), ''] : [formDecode(segment.slice(0, eq)), formDecode(segment.slice(eq + 1))]);
  }
  return pairs;
}

export interface AuthorizationHeader {
  /** The protocol parameters, percent-decoded (oauth_signature included). */
  params: Map<string, string>;
  realm: string | undefined;
}

/** Whether an Authorization header value uses the OAuth scheme (case-insensitive, RFC 5849 §3.5.1). */
export function isOAuthHeader(value: string | undefined): value is string {
  return value !== undefined && /^OAuth(\s|$)/i.test(value);
}

// One `name="value"` item and the comma (or the end) after it. Values are percent-encoded, so
// they hold no quotes; realm is an RFC 2617 quoted-string and may hold backslash escapes.
const ITEM = /\s*([^\s=,"]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/**
 * Parses `Authorization: OAuth realm="…", oauth_consumer_key="…", …` (RFC 5849 §3.5.1):
 * names and values percent-decoded, realm kept apart, a repeated parameter refused (a
 * signature over one copy while the server reads another is how ambiguity turns into bypass).
 */
export function parseAuthorizationHeader(value: string): AuthorizationHeader {
  const scheme = /^OAuth(?:\s+|$)/i.exec(value);
  if (!scheme) throw badRequest('Authorization header must use the OAuth scheme');
  const rest = value.slice(scheme[0].length);
  const params = new Map<string, string>();
  let realm: string | undefined;
  let at = 0;
  while (at < rest.length && !/^[\s,]*$/.test(rest.slice(at))) {
    ITEM.lastIndex = at;
    const m = ITEM.exec(rest);
    if (!m) throw badRequest('Authorization header must be a comma-separated list of name="value" parameters');
    at = ITEM.lastIndex;
    const [, rawName, rawValue] = m as unknown as [string, string, string];
    if (rawName.toLowerCase() === 'realm') {
      if (realm !== undefined) throw badRequest('Authorization header repeats realm', { parameter: 'realm' });
      realm = rawValue.replace(/\\(.)/g, '$1');
      continue;
    }
    const name = percentDecode(rawName);
    if (params.has(name)) throw badRequest(`Authorization header repeats ${name.slice(0, 64)}`, { parameter: name.slice(0, 64) });
    params.set(name, percentDecode(rawValue));
  }
  return { params, realm };
}

/**
 * RFC 5849 §3.4.1.2 base string URI: scheme and host lower-cased, the default port (80 for
 * http, 443 for https) left out, the path as sent, no query or fragment.
 */
export function baseStringUri(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('Request URL is not absolute');
  }
  // The path exactly as the client sent it: URL would re-encode and resolve it.
  const rawPath = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] || '/';
  // URL lower-cases scheme and host and drops a default port already.
  return `${parsed.protocol}//${parsed.host}${rawPath}`;
}

/** The query string of a URL (without `?`), or '' when it has none. */
export function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}

/**
 * RFC 5849 §3.4.1.3.2 normalized parameters: every name and value percent-encoded, sorted by
 * encoded name then encoded value (byte order; encoded strings are ASCII), joined as `n=v&…`.
 * The caller passes the list without oauth_signature.
 */
export function normalizeParameters(pairs: ParamPairs): string {
  const encoded = pairs.map(([n, v]) => [percentEncode(n), percentEncode(v)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** RFC 5849 §3.4.1.1: METHOD & encoded base string URI & encoded normalized parameters. */
export function signatureBaseString(method: string, url: string, pairs: ParamPairs): string {
  return `${method.toUpperCase()}&${percentEncode(baseStringUri(url))}&${percentEncode(normalizeParameters(pairs))}`;
}

/** RFC 5849 §3.4.2: HMAC over the base string, keyed by `enc(consumer secret)&enc(token secret)`, in base64. */
export function sign(method: SignatureMethod, baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return crypto
    .createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
    .update(baseString)
    .digest('base64');
}

/** Whether a presented signature equals the expected one, compared in constant time. */
export function signatureMatches(expected: string, presented: string): boolean {
  return safeEqual(expected, presented);
}

/** The signature method named by the request, or a 400 naming what is supported (PLAINTEXT and RSA-SHA1 included). */
export function signatureMethodOf(value: string | undefined): SignatureMethod {
  if (value === undefined || value === '') throw badRequest('oauth_signature_method is required', { parameter: 'oauth_signature_method' });
  if ((SIGNATURE_METHODS as readonly string[]).includes(value)) return value as SignatureMethod;
  const why =
    value === 'PLAINTEXT'
      ? 'PLAINTEXT sends the secrets themselves and is refused'
      : value === 'RSA-SHA1'
        ? 'RSA-SHA1 needs a registered public key, which apps here do not have'
        : `${value.slice(0, 32)} is not a signature method`;
  throw new RelayError('oauth1_unsupported_signature_method', `${why}; sign with HMAC-SHA1 or HMAC-SHA256`, {
    parameter: 'oauth_signature_method',
    supported: SIGNATURE_METHODS,
  });
}
