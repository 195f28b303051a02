import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { odooForCaller } from './odoo-for-caller.js';

/** `test_connection`: authenticates against Odoo now and reports version, uid and latency. */
export async function testConnection(ctx: AppContext, caller: Caller) {
  const { client } = await odooForCaller(ctx, caller);
  const t = await client.testConnection();
  return {
    success: true as const,
    result: { connected: true, serverVersion: t.serverVersion, protocol: t.protocol, uid: t.uid, latencyMs: t.latencyMs },
  };
}
