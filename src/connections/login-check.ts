/**
 * Logging in to Odoo with connection settings that are not (yet) saved: the dashboard's Test
 * connection, and the check its Save runs before it keeps anything.
 */
import { OdooClient, isOdooError, type OdooConnectionTest, type OdooError, type OdooProtocolSetting } from '../odoo/index.js';

export interface LoginSettings {
  url: string;
  database: string;
  login: string;
  secret: string;
  protocol: OdooProtocolSetting;
  timeoutMs: number;
}

/** Logs in with a throwaway client, so the cached client of the saved connection is not disturbed. */
export async function tryOdooLogin(settings: LoginSettings): Promise<OdooConnectionTest> {
  const client = new OdooClient({ ...settings, maxConcurrent: 1, maxQueue: 0 });
  try {
    return await client.testConnection();
  } finally {
    await client.close();
  }
}

/** The outcome of the check before a save: Odoo accepted the login, or could not be asked (a warning). */
export type SaveCheck = { ok: true; result: OdooConnectionTest } | { ok: false; warning: OdooError };

/**
 * Checks credentials before they are saved. Odoo refusing them (`odoo_auth_failed`) is thrown:
 * such a connection can only fail. Any other failure (unreachable, timed out, not an Odoo answer,
 * an error inside Odoo) says nothing about the credentials, so the save may go ahead with a
 * warning: Odoo may be down for maintenance, or not reachable yet while the relay is set up.
 */
export async function checkBeforeSave(settings: LoginSettings): Promise<SaveCheck> {
  try {
    return { ok: true, result: await tryOdooLogin(settings) };
  } catch (err) {
    if (!isOdooError(err) || err.code === 'odoo_auth_failed') throw err;
    return { ok: false, warning: err };
  }
}
