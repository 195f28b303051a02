import { SCOPES, type Scope } from '../auth/scopes.js';
import type { App } from '../apps/store.js';
import { OAuthError } from './oauth-error.js';

/**
 * The scopes a request asks for (space-separated, RFC 6749 §3.3), checked against the shared
 * vocabulary and the app's registration. No `scope` means everything the app may ask for.
 * `within` narrows further (a refresh may not widen the original grant).
 */
export function requestedScopes(param: string | undefined, app: App, within: readonly Scope[] = app.scopes): Scope[] {
  if (param === undefined || param.trim() === '') return [...within];
  const asked = [...new Set(param.split(' ').filter(Boolean))];
  const unknown = asked.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new OAuthError('invalid_scope', `Unknown scope: ${unknown.join(' ')} (known: ${SCOPES.join(' ')})`);
  const beyond = asked.filter((s) => !within.includes(s as Scope));
  if (beyond.length) throw new OAuthError('invalid_scope', `Scope beyond what this client may have: ${beyond.join(' ')}`);
  return asked as Scope[];
}

export const scopeString = (scopes: readonly string[]) => scopes.join(' ');
