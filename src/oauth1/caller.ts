import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { appGrant } from '../apps/store.js';
import { realmOf, signedUrl, verifySignedRequest } from './verify.js';

/**
 * A resource call signed with OAuth 1.0a (`Authorization: OAuth …`), as a Caller. Runs in
 * onRequest, before the body is read: the relay's APIs take JSON bodies, which OAuth 1.0a does
 * not sign, so query and header parameters are all there is to verify. Three-legged (an
 * access token) acts for the user who authorized it; two-legged (consumer only) for the app's owner.
 */
export async function authenticateOAuth1(ctx: AppContext, request: FastifyRequest, authorization: string): Promise<Caller> {
  const verified = await verifySignedRequest(
    ctx,
    { method: request.method, url: signedUrl(request, ctx.config.publicUrl), authorization, realm: realmOf(request, ctx.config.publicUrl) },
    'access',
    request.trace,
  );
  const userId = verified.userId!;
  return { kind: 'oauth1', userId, appId: verified.app.id, grant: appGrant(verified.app, userId, verified.app.scopes) };
}
