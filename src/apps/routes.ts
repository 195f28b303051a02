import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { parseInput } from '../http/parse-input.js';
import { credentialName, formChoices, idParams, limitFields, scopes } from '../dashboard/access-schemas.js';
import { createApp, deleteApp, getApp, listApps, rotateAppSecrets, updateApp, type App, type AppSecrets } from './store.js';
import { listAuthorizations, revokeAuthorization } from './authorizations.js';
import { disableAppSubscriptions } from '../events/subscriptions-store.js';

const redirectUris = z.array(z.string().trim().min(1).max(2000)).max(10, 'At most 10 redirect URIs');

const createBody = z.object({
  name: credentialName,
  clientType: z.enum(['confidential', 'public'], { error: 'Type must be confidential or public' }).default('confidential'),
  redirectUris: redirectUris.default([]),
  scopes: scopes.default(['read']),
  ...limitFields,
});
const updateBody = z.object({
  name: credentialName.optional(),
  redirectUris: redirectUris.optional(),
  scopes: scopes.optional(),
  ...limitFields,
});

/** The secrets of a create or rotation, answered once: the OAuth 2.0 client secret and the OAuth 1.0a consumer key + secret. */
function secretsAnswer(app: App, secrets: AppSecrets) {
  return { clientId: app.clientId, clientSecret: secrets.clientSecret, consumerKey: app.consumerKey, consumerSecret: secrets.consumerSecret };
}

/**
 * The signed-in user's registered apps (session + CSRF), and the apps they have authorized.
 * Secrets appear only in the answers to create and rotate.
 */
export function registerAppRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireSession(ctx), schema: { hide: true } };

  app.get('/api/dashboard/apps', guard, async (request) => ({
    success: true,
    apps: await listApps(db, request.session!.user.id),
    ...formChoices(ctx),
  }));

  app.post('/api/dashboard/apps', guard, async (request, reply) => {
    const input = parseInput(createBody, request.body);
    if (input.redirectUris.length === 0 && input.clientType === 'public') {
      // A public client can only use the authorization code flow, which needs somewhere to return to.
      throw new RelayError('invalid_request', 'A public app needs at least one redirect URI', { field: 'redirectUris' });
    }
    const created = await createApp(db, ctx.box, { userId: request.session!.user.id, ...input }, ctx.config.defaultRateLimit);
    reply.header('cache-control', 'no-store');
    return { success: true, app: created.app, secrets: secretsAnswer(created.app, created.secrets) };
  });

  app.get('/api/dashboard/apps/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return { success: true, app: await getApp(db, id, request.session!.user.id) };
  });

  app.patch('/api/dashboard/apps/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const patch = parseInput(updateBody, request.body);
    const current = await getApp(db, id, request.session!.user.id);
    if (current.clientType === 'public' && patch.redirectUris?.length === 0) {
      throw new RelayError('invalid_request', 'A public app needs at least one redirect URI', { field: 'redirectUris' });
    }
    return { success: true, app: await updateApp(db, id, request.session!.user.id, patch) };
  });

  app.post('/api/dashboard/apps/:id/rotate', guard, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const rotated = await rotateAppSecrets(db, ctx.box, id, request.session!.user.id);
    reply.header('cache-control', 'no-store');
    return { success: true, app: rotated.app, secrets: secretsAnswer(rotated.app, rotated.secrets) };
  });

  app.delete('/api/dashboard/apps/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const app = await deleteApp(db, id, request.session!.user.id);
    const paused = await disableAppSubscriptions(db, id, undefined, `paused: the app '${app.name}' that created it was deleted`);
    return { success: true, pausedSubscriptions: paused };
  });

  app.get('/api/dashboard/authorized-apps', guard, async (request) => ({
    success: true,
    authorizedApps: await listAuthorizations(db, request.session!.user.id),
  }));

  app.post('/api/dashboard/authorized-apps/:id/revoke', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const userId = request.session!.user.id;
    if (!(await revokeAuthorization(db, id, userId))) throw new RelayError('not_found', 'You have not authorized this app');
    // The user revoked an app they do not own: its name, whoever owns it (its id if deleted meanwhile).
    const name = await getApp(db, id).then((revoked) => revoked.name, () => id);
    const paused = await disableAppSubscriptions(db, id, userId, `paused: you revoked the access of '${name}', the app that created it`);
    return { success: true, pausedSubscriptions: paused };
  });
}
