import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Scope } from '../auth/scopes.js';
import { appsByIds } from './store.js';
import { listGrants, revokeGrant } from '../oauth2/store.js';
import { listAccessTokens, revokeAppAccessTokens } from '../oauth1/tokens.js';

/** An app the user let act for them, by either protocol: what "Apps you have authorized" lists. */
export interface Authorization {
  appId: string;
  name: string;
  ownerId: string;
  scopes: Scope[];
  /** How the app holds access: an OAuth 2.0 consent, OAuth 1.0a access tokens, or both. */
  protocols: ('oauth2' | 'oauth1')[];
  authorizedAt: number;
  updatedAt: number;
}

/**
 * The user's authorizations, one row per app. OAuth 2.0 consents carry their scopes; OAuth 1.0a
 * access tokens act with the app's scopes, so an app known only through OAuth 1.0a shows those.
 */
export async function listAuthorizations(db: Kysely<Database>, userId: string): Promise<Authorization[]> {
  const byApp = new Map<string, Authorization>();
  for (const g of await listGrants(db, userId)) byApp.set(g.appId, { ...g, protocols: ['oauth2'] });
  const tokens = await listAccessTokens(db, userId);
  // Apps known only through OAuth 1.0a: their owner and scopes, read in one query.
  const oauth1Only = await appsByIds(db, [...new Set(tokens.map((t) => t.appId).filter((id) => !byApp.has(id)))]);
  for (const t of tokens) {
    const known = byApp.get(t.appId);
    if (known) {
      if (!known.protocols.includes('oauth1')) known.protocols.push('oauth1');
      known.authorizedAt = Math.min(known.authorizedAt, t.authorizedAt);
      known.updatedAt = Math.max(known.updatedAt, t.authorizedAt);
      continue;
    }
    const app = oauth1Only.get(t.appId)!;
    byApp.set(t.appId, { appId: app.id, name: app.name, ownerId: app.userId, scopes: app.scopes, protocols: ['oauth1'], authorizedAt: t.authorizedAt, updatedAt: t.authorizedAt });
  }
  return [...byApp.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Ends an app's access for the user under both protocols at once. Returns whether it had any. */
export async function revokeAuthorization(db: Kysely<Database>, appId: string, userId: string): Promise<boolean> {
  const hadGrant = await revokeGrant(db, appId, userId);
  const oauth1Tokens = await revokeAppAccessTokens(db, appId, userId);
  return hadGrant || oauth1Tokens > 0;
}
