import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { appGrant } from '../apps/store.js';
import { oauth1Error, realmOf, signedUrl, verifySignedRequest } from './verify.js';
import { tokenScopes } from './tokens.js';
import { RelayError } from '../errors/index.js';
import { anyUserDisabled } from '../auth/users.js';

/**
 * A resource call signed with OAuth 1.0a (`Authorization: OAuth …`), as a Caller. Runs in
 * onRequest, before the body is read: the relay's APIs take JSON bodies, which OAuth 1.0a does
 * not sign, so query and header parameters are all there is to verify. Three-legged (an
 * access token) acts for the user who authorized it, with the scopes they approved narrowed to
 * the app's current ones (as OAuth 2.0 does), so widening an app never widens an approved token;
 * two-legged (consumer only) acts for the app's owner with the app's scopes.
 */
export async function authenticateOAuth1(ctx: AppContext, request: FastifyRequest, authorization: string): Promise<Caller> {
  // A form body's parameters are signed (RFC 5849 §3.4.1.3.1) but never read here: its client
  // would be told its signature is wrong, when the fault is the body these APIs do not take.
  if (/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
    throw new RelayError('unsupported_media_type', 'These APIs take JSON bodies (Content-Type: application/json); a form body is not accepted');
  }
  const verified = await verifySignedRequest(
    ctx,
    { method: request.method, url: signedUrl(request, ctx.config.publicUrl), authorization, realm: realmOf(request, ctx.config.publicUrl) },
    'access',
    request.trace,
  );
  const userId = verified.userId!;
  // The account acted for, or the app's owner (who may have left holding its secret), disabled.
  if (await anyUserDisabled(ctx.storage.db, [userId, verified.app.userId])) {
    throw new RelayError('account_disabled');
  }
  let scopes = verified.app.scopes;
  if (verified.token) {
    const approved = tokenScopes(verified.token);
    if (!approved) {
      throw oauth1Error(
        'oauth1_invalid_token',
        realmOf(request, ctx.config.publicUrl),
        'This access token predates the record of approved scopes and the app has changed since; the user must approve the app again',
      );
    }
    scopes = approved;
  }
  return { kind: 'oauth1', userId, appId: verified.app.id, grant: appGrant(verified.app, userId, scopes) };
}
