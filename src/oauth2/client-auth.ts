import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { findAppByClientId, verifyClientSecret, type App } from '../apps/store.js';
import { OAuthError } from './oauth-error.js';
import { isUserDisabled } from '../auth/users.js';

/** A form parameter given at most once (RFC 6749 §3.1: parameters must not repeat). */
export function param(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `Parameter ${name} must be given once`);
  return value;
}

/** client_secret_basic credentials: client id and secret are form-urlencoded before base64 (RFC 6749 §2.3.1). */
function basicCredentials(request: FastifyRequest): { clientId: string; secret: string } | null {
  const auth = request.headers.authorization;
  if (!auth) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
  if (!match) throw new OAuthError('invalid_client', 'Authorization header must be HTTP Basic with the client credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials');
  try {
    const unescape = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
    return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials');
  }
}

/**
 * Who the client is: client_secret_basic or client_secret_post for confidential clients, the
 * bare client_id for public ones. Every failure is the same invalid_client, so the answer never
 * tells an unknown client id from a wrong secret.
 */
export async function authenticateClient(ctx: AppContext, request: FastifyRequest): Promise<App> {
  const body = request.body;
  const basic = basicCredentials(request);
  const postId = param(body, 'client_id');
  const postSecret = param(body, 'client_secret');
  if (basic && postSecret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method, not both');
  if (basic && postId !== undefined && postId !== basic.clientId) throw new OAuthError('invalid_request', 'client_id does not match the Basic credentials');
  const clientId = basic?.clientId ?? postId;
  if (!clientId) throw new OAuthError('invalid_client', 'Client authentication is required');
  const secret = basic?.secret ?? postSecret;
  const refused = new OAuthError('invalid_client', 'Client authentication failed');
  const app = await findAppByClientId(ctx.storage.db, clientId);
  if (!app) throw refused;
  if (app.clientType === 'public') {
    // A public client cannot keep a secret; one that sends a secret is misconfigured.
    if (secret !== undefined) throw refused;
    await refuseDisabledOwner(ctx, app);
    return app;
  }
  if (secret === undefined || !(await verifyClientSecret(ctx.storage.db, app.id, secret))) throw refused;
  await refuseDisabledOwner(ctx, app);
  return app;
}

/**
 * An app whose owner's account is disabled gets no tokens: its owner may be the colleague who
 * left, still holding the client secret, and the app acts for everyone who authorized it.
 */
async function refuseDisabledOwner(ctx: AppContext, app: App): Promise<void> {
  if (await isUserDisabled(ctx.storage.db, app.userId)) throw new OAuthError('invalid_client', "The app's owner account is disabled");
}
