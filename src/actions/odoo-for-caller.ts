import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { resolveConnection, type OdooConnection } from '../connections/store.js';
import { RelayError } from '../errors/index.js';
import type { OdooClient } from '../odoo/index.js';
import { thenMaybe, type MaybePromise } from '../async/maybe-promise.js';

/**
 * The Odoo connection a caller acts on (a key's pinned one, else its owner's default) and its
 * client; at once when the connection is cached, else a promise.
 */
export function odooForCaller(ctx: AppContext, caller: Caller): MaybePromise<{ connection: OdooConnection; client: OdooClient }> {
  const pinned = caller.kind === 'session' ? null : caller.grant.connectionId;
  const found = ctx.caches.connections.getOrLoad(`${caller.userId}|${pinned ?? ''}`, () => resolveConnection(ctx.storage.db, caller.userId, pinned));
  return thenMaybe(found, (connection) => {
    if (!connection) throw new RelayError('no_odoo_connection', 'No Odoo configuration, configure it at Settings → Odoo connection');
    return { connection: connection.connection, client: ctx.odooClients.get(connection.connection, connection.secretEnc) };
  });
}
