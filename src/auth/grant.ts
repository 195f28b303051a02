import type { Scope } from './scopes.js';

/**
 * What a credential lets its bearer do, whatever the credential: an API key, an OAuth 2.0
 * access token or an OAuth 1.0a token. Scopes, allow-lists and the rate limit are enforced
 * from this one shape, so every way in obeys the same rules. (An ApiKey is a Grant as is.)
 */
export interface Grant {
  /** Identity for rate limits, idempotency and chat memory: the key id, or the app + user a token acts for. */
  id: string;
  /** The user whose Odoo connection the call acts on. */
  userId: string;
  /** A pinned Odoo connection, or null for the user's default. */
  connectionId: string | null;
  scopes: Scope[];
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
  /** Requests per minute. */
  rateLimit: number;
}

/** The grant id an app acting for a user is rate limited and remembered under (shared by OAuth 1.0a and 2.0). */
export function appGrantId(appId: string, userId: string): string {
  return `app:${appId}:${userId}`;
}
