/**
 * Logging in to Odoo with connection settings that are not (yet) saved: the dashboard's Test
 * connection, and the check its Save runs before it keeps anything.
 */
import { OdooClient, isOdooError, type OdooConnectionTest, type OdooError, type OdooProtocolSetting } from '../odoo/index.js';
import { RelayError } from '../errors/index.js';
import { fromOdooError } from '../http/error-handler.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { assertOdooOriginAllowed } from './origin-policy.js';
import { assertSavedSecretFits, validateConnectionInput, type OdooConnectionInput, type ResolvedConnection } from './store.js';

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
 * The settings to log in with, checked: the secret typed, else the saved one, but only for the
 * origin it was saved for, checked before it is decrypted or sent anywhere.
 */
export function loginSettingsOf(box: SecretBox, input: OdooConnectionInput, saved: ResolvedConnection | null, allowedOrigins: readonly string[]): LoginSettings {
  const v = validateConnectionInput(input);
  // Before anything is sent there: what came back would tell the caller what listens at the address.
  assertOdooOriginAllowed(v.url, allowedOrigins);
  if (v.secret === undefined && saved) assertSavedSecretFits(saved.connection.url, v.url);
  const secret = v.secret ?? (saved ? box.decrypt(saved.secretEnc) : undefined);
  if (!secret) throw new RelayError('invalid_request', 'Password or API key is required', { field: 'secret' });
  return { url: v.url, database: v.database, login: v.login, secret, protocol: v.protocol, timeoutMs: v.timeoutMs };
}

/**
 * The check every save of a connection runs first (the dashboard's Save, the CLI's `connections
 * set`). Odoo refusing the login or knowing no such database is thrown, so nothing is saved: such
 * a connection can only fail. Any other failure (unreachable, timed out, not an Odoo answer, an
 * error inside Odoo) says nothing about the settings, so the save goes ahead with it as a
 * warning: Odoo may be down for maintenance, or not reachable yet while the relay is set up.
 */
export async function checkConnectionToSave(
  box: SecretBox,
  input: OdooConnectionInput,
  saved: ResolvedConnection | null,
  allowedOrigins: readonly string[],
): Promise<SaveCheck> {
  const settings = loginSettingsOf(box, input, saved, allowedOrigins);
  try {
    return { ok: true, result: await tryOdooLogin(settings) };
  } catch (err) {
    if (!isOdooError(err)) throw err;
    if (err.code === 'odoo_unknown_database') {
      throw new RelayError('odoo_unknown_database', `Odoo has no database '${settings.database}'; nothing was saved`, { field: 'database', odoo: fromOdooError(err).details ?? null });
    }
    if (err.code === 'odoo_auth_failed' && err.keyLogin !== undefined) {
      // Its details (the field, the key's login) are the error handler's, as Test connection answers them.
      throw new RelayError('invalid_request', `${err.message}; nothing was saved`, fromOdooError(err).details);
    }
    if (err.code === 'odoo_auth_failed') {
      throw new RelayError('odoo_auth_failed', 'Odoo rejected the login and password or API key; nothing was saved', fromOdooError(err).details);
    }
    return { ok: false, warning: err };
  }
}
