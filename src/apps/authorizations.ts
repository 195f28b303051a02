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
 * The user's authorizations, one row per app, with the scopes the user approved: the OAuth 2.0
 * consent's and those of the app's OAuth 1.0a access tokens, together. A token older than the
 * record of approved scopes adds none (it is refused until the user approves the app again).
 */
export async function listAuthorizations(db: Kysely<Database>, userId: string): Promise<Authorization[]> {
  const byApp = new Map<string, Authorization>();
  for (const g of await listGrants(db, userId)) byApp.set(g.appId, { ...g, protocols: ['oauth2'] });
  const tokens = await listAccessTokens(db, userId);
  // Apps known only through OAuth 1.0a: their name and owner, read in one query.
  const oauth1Only = await appsByIds(db, [...new Set(tokens.map((t) => t.appId).filter((id) => !byApp.has(id)))]);
  for (const t of tokens) {
    const known = byApp.get(t.appId);
    if (known) {
      if (!known.protocols.includes('oauth1')) known.protocols.push('oauth1');
      for (const s of t.scopes ?? []) if (!known.scopes.includes(s)) known.scopes.push(s);
      known.authorizedAt = Math.min(known.authorizedAt, t.authorizedAt);
      known.updatedAt = Math.max(known.updatedAt, t.authorizedAt);
      continue;
    }
    const app = oauth1Only.get(t.appId)!;
    byApp.set(t.appId, { appId: app.id, name: app.name, ownerId: app.userId, scopes: [...(t.scopes ?? [])], protocols: ['oauth1'], authorizedAt: t.authorizedAt, updatedAt: t.authorizedAt });
  }
  return [...byApp.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Ends an app's access for the user under both protocols at once. Returns whether it had any. */
export async function revokeAuthorization(db: Kysely<Database>, appId: string, userId: string): Promise<boolean> {
  const hadGrant = await revokeGrant(db, appId, userId);
  const oauth1Tokens = await revokeAppAccessTokens(db, appId, userId);
  return hadGrant || oauth1Tokens > 0;
}
