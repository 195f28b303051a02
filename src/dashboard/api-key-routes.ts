import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, setApiKeyHmac, updateApiKey } from '../auth/api-keys.js';
import { parseInput } from '../http/parse-input.js';
import { credentialName, formChoices, idParams, limitFields, scopes } from './access-schemas.js';

const expiresAt = z
  .number({ error: 'Expiry must be a timestamp' })
  .int()
  .nullable()
  .refine((v) => v === null || v > Date.now(), 'Expiry must be in the future');

const createBody = z.object({
  name: credentialName,
  scopes: scopes.default(['webhook']),
  ...limitFields,
  expiresAt: expiresAt.optional(),
  hmac: z.boolean().default(false),
});
const updateBody = z.object({
  name: credentialName.optional(),
  scopes: scopes.optional(),
  ...limitFields,
  expiresAt: expiresAt.optional(),
});
const hmacBody = z.object({ enabled: z.boolean({ error: 'enabled must be true or false' }) });

/**
 * The signed-in user's API keys. The plaintext key and HMAC secret appear only in the answer
 * that creates them (create, HMAC enable/rotate); lists and edits carry the visible prefix only.
 */
export function registerApiKeyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireSession(ctx) };

  app.get('/api/dashboard/api-keys', guard, async (request) => ({
    success: true,
    apiKeys: await listApiKeys(db, request.session!.user.id),
    ...formChoices(ctx),
  }));

  app.post('/api/dashboard/api-keys', guard, async (request, reply) => {
    const input = parseInput(createBody, request.body);
    const created = await createApiKey(db, ctx.box, { userId: request.session!.user.id, ...input }, ctx.config.defaultRateLimit);
    reply.header('cache-control', 'no-store');
    return { success: true, apiKey: created.apiKey, key: created.key, hmacSecret: created.hmacSecret };
  });

  app.patch('/api/dashboard/api-keys/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const patch = parseInput(updateBody, request.body);
    const current = await getApiKey(db, id, request.session!.user.id);
    if (current.revokedAt !== null) throw new RelayError('conflict', 'A revoked key cannot be changed', { field: 'id' });
    return { success: true, apiKey: await updateApiKey(db, id, request.session!.user.id, patch) };
  });

  app.post('/api/dashboard/api-keys/:id/revoke', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return { success: true, apiKey: await revokeApiKey(db, id, request.session!.user.id) };
  });

  app.post('/api/dashboard/api-keys/:id/hmac', guard, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const { enabled } = parseInput(hmacBody, request.body);
    const current = await getApiKey(db, id, request.session!.user.id);
    if (current.revokedAt !== null) throw new RelayError('conflict', 'A revoked key cannot be changed', { field: 'id' });
    const result = await setApiKeyHmac(db, ctx.box, id, request.session!.user.id, enabled);
    reply.header('cache-control', 'no-store');
    return { success: true, apiKey: result.apiKey, hmacSecret: result.hmacSecret };
  });
}
