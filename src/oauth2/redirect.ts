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

/** An http redirect URI on a loopback IP literal, split around its port (`localhost` is a name, not a literal: RFC 8252 §8.3). */
const LOOPBACK_IP = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?=[/?]|$)(.*)$/s;

function withoutLoopbackPort(uri: string): string | null {
  const m = LOOPBACK_IP.exec(uri);
  if (!m) return null;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return null;
  return `http://${m[1]}${m[3]}`;
}

/**
 * Whether a redirect URI sent to /oauth/authorize is one of the app's: compared exactly
 * (RFC 9700 §4.1.3), except that for a registered loopback IP literal (`http://127.0.0.1…`,
 * `http://[::1]…`) the port may be any: a native app listens on a port the OS gives it when
 * the flow starts (RFC 8252 §7.3). Everything but the port must still be identical.
 */
export function isRegisteredRedirectUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const portless = withoutLoopbackPort(requested);
  return portless !== null && registered.some((uri) => withoutLoopbackPort(uri) === portless);
}
