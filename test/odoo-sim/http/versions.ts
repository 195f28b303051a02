/** What each Odoo major version reports about itself (release.version_info, common.version). */
import type { OdooMajorVersion } from '../contract.js';

export function versionInfo(version: OdooMajorVersion): [number, number, number, string, number, string] {
  return [version, 0, 0, 'final', 0, ''];
}

/** `common.version()` / `/web/webclient/version_info`. */
export function commonVersion(version: OdooMajorVersion) {
  return {
    server_version: `${version}.0`,
    server_version_info: versionInfo(version),
    server_serie: `${version}.0`,
    protocol_version: 1,
  };
}

/** `GET /web/version`. */
export function webVersion(version: OdooMajorVersion) {
  return { version_info: versionInfo(version), version: `${version}.0` };
}
