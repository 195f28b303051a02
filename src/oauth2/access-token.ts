import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { appGrant } from '../apps/store.js';
import type { Caller } from '../auth/caller.js';
import { findLiveAccessToken } from './store.js';

/**
 * RFC 6750 §3: a refused bearer token is answered with a WWW-Authenticate challenge. The
 * description is ours and fixed, so it can never carry any part of the token.
 */
function invalidToken(message: string): RelayError {
  const header = `Bearer realm="odoo-relay", error="invalid_token", error_description="${message}"`;
  return new RelayError('invalid_token', message, undefined, { 'www-authenticate': header });
}

/**
 * The caller behind an OAuth 2.0 access token. Looked up by its SHA-256 on every call (one
 * indexed read, joined with its app): revocation, app deletion and grant revocation take effect immediately, and
 * the app's current allow-lists and rate limit apply through appGrant.
 */
export async function authenticateAccessToken(ctx: AppContext, request: FastifyRequest, token: string): Promise<Caller> {
  const found = await findLiveAccessToken(ctx.storage.db, token);
  if (!found) throw invalidToken('The access token is unknown, expired or revoked');
  request.trace.authMethod = 'oauth2';
  request.trace.appId = found.app.id;
  request.trace.userId = found.userId;
  if (found.userDisabled) throw new RelayError('account_disabled');
  return { kind: 'oauth2', userId: found.userId, appId: found.app.id, grant: appGrant(found.app, found.userId, found.scopes) };
}
