import { z } from 'zod';
import type { AppContext } from '../context.js';
import { SCOPES } from '../auth/scopes.js';

// The fields an API key and a registered app share: both are credentials bound by scopes, a
// rate limit and optional allow-lists, so the dashboard refuses bad values with the same words.

export const credentialName = z.string().trim().min(1, 'Name is required').max(100, 'Name must be at most 100 characters');
export const scopes = z.array(z.enum(SCOPES, { error: `Scopes must be among: ${SCOPES.join(', ')}` })).min(1, 'Choose at least one scope');
const rateLimit = z
  .number({ error: 'Rate limit must be a number' })
  .int('Rate limit must be a whole number')
  .min(1, 'Rate limit must be at least 1 per minute')
  .max(1_000_000, 'Rate limit must be at most 1000000 per minute');
// Model names (`res.partner`, `sale.*`) and method names (`search_read`); `*` allows all.
const allowEntry = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9_.*]+$/, 'Allow-list entries are names like res.partner, sale.* or search_read');
const allowList = z.array(allowEntry).max(200).nullable();

/** Rate limit and allow-lists, optional on create (defaults apply) and on update (unchanged when absent). */
export const limitFields = {
  rateLimit: rateLimit.optional(),
  allowedModels: allowList.optional(),
  allowedMethods: allowList.optional(),
};

export const idParams = z.object({ id: z.string().min(1).max(64) });

/** What the key and app forms offer: the scopes to choose from and the rate limit a new one starts with. */
export function formChoices(ctx: AppContext) {
  return { scopes: SCOPES, defaultRateLimit: ctx.config.defaultRateLimit };
}
