/**
 * The redirect back to the client (RFC 6749 §4.1.2 / §4.1.2.1): parameters appended to the
 * registered redirect URI's own query, `state` echoed, and `iss` so the client can check which
 * server answered (RFC 9207, mix-up defence).
 */
export function clientRedirect(redirectUri: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  return url.toString();
}
