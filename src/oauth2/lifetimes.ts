/**
 * Lifetimes and shapes of what the authorization server hands out (documented in docs/oauth.md).
 * Access tokens are short so a leaked one is worth little; refresh tokens are long but rotate on
 * every use, so a stolen one is detected the moment either party uses it after the other.
 */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;
/** Codes travel through the browser and are exchanged at once; a minute is plenty (RFC 6749 §4.1.2: at most 10). */
export const CODE_TTL_SECONDS = 60;
/** A pending authorization request waits this long for the user to log in and consent. */
export const AUTHORIZATION_REQUEST_TTL_SECONDS = 10 * 60;

// Prefixes let the relay tell its own tokens from `sk_live_` API keys without a lookup, and let
// secret scanners recognise them in leaked text.
export const ACCESS_TOKEN_PREFIX = 'oat_';
export const REFRESH_TOKEN_PREFIX = 'ort_';
export const CODE_PREFIX = 'oac_';
export const REQUEST_ID_PREFIX = 'oar_';

/** Whether a bearer value looks like one of this server's tokens (access or refresh). */
export function isOAuth2Token(value: string): boolean {
  return value.startsWith(ACCESS_TOKEN_PREFIX) || value.startsWith(REFRESH_TOKEN_PREFIX);
}
