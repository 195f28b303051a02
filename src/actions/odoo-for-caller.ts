import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { resolveConnection, type OdooConnection } from '../connections/store.js';
import { RelayError } from '../errors/index.js';
import type { OdooClient } from '../odoo/index.js';

/** The Odoo connection a caller acts on (a key's pinned one, else its owner's default) and its client. */
export async function odooForCaller(
  ctx: AppContext,
  caller: Caller,
): Promise<{ connection: OdooConnection; client: OdooClient }> {
  const pinned = caller.kind === 'session' ? null : caller.grant.connectionId;
  const found = await ctx.caches.connections.getOrLoad(`${caller.userId}|${pinned ?? ''}`, () =>
    resolveConnection(ctx.storage.db, caller.userId, pinned),
  );
  if (!found) throw new RelayError('no_odoo_connection', 'No Odoo configuration, configure it at Settings → Odoo connection');
  return { connection: found.connection, client: ctx.odooClients.get(found.connection, found.secretEnc) };
}
