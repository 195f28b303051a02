import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { findUserById } from '../auth/users.js';
import { getApp } from '../apps/store.js';
import { parseInput } from '../http/parse-input.js';
import { consumeAuthorizationRequest, findAuthorizationRequest, issueCode, recordGrant } from './store.js';
import { clientRedirect } from './redirect.js';
import { issuerOf } from './issuer.js';

const requestId = z.string().min(1).max(64);
const decisionBody = z.object({ request: requestId, approve: z.boolean({ error: 'approve must be true or false' }) });

/**
 * The consent page's API (session + CSRF): what the pending request asks for, and the user's
 * decision, answered with the URL to send the browser back to (code or access_denied, with
 * state and iss). The SPA navigates there, so a code never passes through the relay's JSON log.
 */
export function registerConsentRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireSession(ctx), schema: { hide: true } };

  app.get('/api/dashboard/oauth/consent', guard, async (request) => {
    const { request: id } = parseInput(z.object({ request: requestId }), request.query);
    const pending = await findAuthorizationRequest(db, id);
    if (!pending) throw new RelayError('not_found', 'This authorization request is unknown or has expired; start again from the app');
    const client = await getApp(db, pending.appId);
    const owner = await findUserById(db, client.userId);
    return {
      success: true,
      request: {
        id: pending.id,
        app: { id: client.id, name: client.name, clientId: client.clientId, clientType: client.clientType, owner: owner?.username ?? null },
        scopes: pending.scopes,
        redirectUri: pending.redirectUri,
        expiresAt: pending.expiresAt,
      },
    };
  });

  app.post('/api/dashboard/oauth/consent', guard, async (request, reply) => {
    const { request: id, approve } = parseInput(decisionBody, request.body);
    const pending = await findAuthorizationRequest(db, id);
    // Consumed here, so a decision happens once even if the page is submitted twice.
    if (!pending || !(await consumeAuthorizationRequest(db, id))) {
      throw new RelayError('not_found', 'This authorization request is unknown or has expired; start again from the app');
    }
    const userId = request.session!.user.id;
    const iss = issuerOf(ctx, request);
    reply.header('cache-control', 'no-store');
    if (!approve) {
      const redirectTo = clientRedirect(pending.redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state: pending.state, iss });
      return { success: true, redirectTo };
    }
    const code = await issueCode(db, { appId: pending.appId, userId, redirectUri: pending.redirectUri, scopes: pending.scopes, codeChallenge: pending.codeChallenge });
    await recordGrant(db, pending.appId, userId, pending.scopes);
    return { success: true, redirectTo: clientRedirect(pending.redirectUri, { code, state: pending.state, iss }) };
  });
}
