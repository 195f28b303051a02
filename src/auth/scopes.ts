/**
 * Scope vocabulary shared by API keys (and later OAuth tokens):
 * - `webhook`: every action of /api/n8n/webhook, any ORM method.
 * - `read`: the webhook's actions restricted to methods that cannot change data.
 * - `subscriptions`: manage outbound event subscriptions (/api/v1/subscriptions).
 */
export const SCOPES = ['webhook', 'read', 'subscriptions'] as const;
export type Scope = (typeof SCOPES)[number];

/** ORM methods that only read. Anything else may write, so the `read` scope refuses it. */
export const READ_METHODS = new Set([
  'search',
  'search_read',
  'read',
  'search_count',
  'fields_get',
  'name_search',
  'read_group',
  'formatted_read_group',
  'web_search_read',
  'web_read',
  'web_read_group',
  'default_get',
  'check_access_rights',
  'has_access',
  'check_access',
  'name_get',
  'get_views',
]);

/** Whether the scopes allow calling this method (pure). */
export function scopesAllowMethod(scopes: readonly string[], method: string): boolean {
  if (scopes.includes('webhook')) return true;
  return scopes.includes('read') && READ_METHODS.has(method);
}

/**
 * The narrowest scope that allows an ORM method (or a write at all), named in refusals so that an
 * OAuth app asks its user for no more than it needs: `read` for a method that only reads.
 */
export function scopeFor(method: string | undefined): Scope {
  return method !== undefined && READ_METHODS.has(method) ? 'read' : 'webhook';
}

/** Whether a name matches an allow-list entry: exact, or a `prefix.*` wildcard (`sale.*`). */
export function matchesAllowList(allowList: readonly string[] | null, name: string): boolean {
  if (!allowList || allowList.length === 0) return true;
  return allowList.some((entry) =>
    entry.endsWith('.*') ? name.startsWith(entry.slice(0, -1)) : entry === '*' || entry === name,
  );
}
