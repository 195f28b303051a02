/**
 * Odoo server version parsing and the protocol it implies. Hosted Odoo reports its major as
 * a string such as `saas~18` (server_version_info `['saas~18', 4, 0, 'final', 0, '']`, serie
 * `saas~18.4`); on-premise reports `[19, 0, 0, 'final', 0, '']`.
 */
import { OdooError } from './errors.js';

export type OdooWireProtocol = 'json2' | 'jsonrpc';

/** What `version()` reports. `protocol` is the protocol the client uses with this server. */
export interface OdooServerVersion {
  serverVersion: string;
  major: number;
  minor: number;
  serie: string;
  protocol: OdooWireProtocol;
}

/** The version without the protocol decision (that also depends on settings and the secret). */
export type ParsedOdooVersion = Omit<OdooServerVersion, 'protocol'>;

/** Parses `GET /web/version` (`{version, version_info}`) or `common.version` (`{server_version, server_version_info, server_serie}`). */
export function parseOdooVersion(body: unknown): ParsedOdooVersion {
  if (typeof body !== 'object' || body === null) throw versionError('not an object');
  const b = body as Record<string, unknown>;
  const info = Array.isArray(b.version_info) ? b.version_info : Array.isArray(b.server_version_info) ? b.server_version_info : undefined;
  const versionString = typeof b.version === 'string' ? b.version : typeof b.server_version === 'string' ? b.server_version : undefined;
  if (!info || info.length < 2) throw versionError('no version_info');
  const major = parseMajor(info[0]);
  const minor = typeof info[1] === 'number' ? info[1] : Number.parseInt(String(info[1]), 10);
  // Not quoted: no part of an answer goes into an error message.
  if (!Number.isFinite(major) || !Number.isFinite(minor)) throw versionError('version_info has no numeric major and minor');
  const isSaas = typeof info[0] === 'string' && /saas/i.test(info[0]);
  const serie =
    typeof b.server_serie === 'string' ? b.server_serie : isSaas ? `saas~${major}.${minor}` : `${major}.${minor}`;
  return { serverVersion: versionString ?? serie, major, minor, serie };
}

function parseMajor(value: unknown): number {
  if (typeof value === 'number') return value;
  const match = /(\d+)/.exec(String(value));
  return match ? Number.parseInt(match[1]!, 10) : Number.NaN;
}

function versionError(why: string): OdooError {
  return new OdooError('odoo_bad_response', `Odoo version answer is unreadable: ${why}`);
}

/** JSON-2 exists from Odoo 19.0, and on hosted Odoo from saas-18.4. */
export function supportsJson2(version: Pick<ParsedOdooVersion, 'major' | 'minor'>): boolean {
  return version.major > 18 || (version.major === 18 && version.minor >= 4);
}
