import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { odooForCaller } from './odoo-for-caller.js';

/**
 * `get_config`: the caller's Odoo connection without secrets. The version is what the relay
 * has detected (one cheap call the first time); an unreachable Odoo leaves it null rather
 * than failing, since the configuration itself is still worth seeing.
 */
export async function getConfig(ctx: AppContext, caller: Caller) {
  const { connection, client } = await odooForCaller(ctx, caller);
  let detected: { serverVersion: string; protocol: string } | null = null;
  try {
    const v = await client.version();
    detected = { serverVersion: v.serverVersion, protocol: v.protocol };
  } catch {
    detected = null;
  }
  return {
    success: true as const,
    result: {
      name: connection.name,
      url: connection.url,
      database: connection.database,
      login: connection.login,
      protocolSetting: connection.protocol,
      version: detected?.serverVersion ?? null,
      protocol: detected?.protocol ?? null,
      timeoutMs: connection.timeoutMs,
      maxConcurrent: connection.maxConcurrent,
      updatedAt: new Date(connection.updatedAt).toISOString(),
    },
  };
}
