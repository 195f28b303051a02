/** The `/web/session/authenticate` result, shaped like Odoo 19's (trimmed of Discuss' store data). */
import type { OdooMajorVersion } from '../contract.js';
import type { Orm } from './orm.js';
import type { AccessControl } from './access.js';

export function sessionInfo(orm: Orm, access: AccessControl, uid: number, db: string, version: OdooMajorVersion): Record<string, unknown> {
  const user = orm.row('res.users', uid);
  const creds = access.get(uid);
  if (!user || !creds) return { uid: null, db, server_version: `${version}.0` };
  const partner = orm.row('res.partner', user.partner_id as number)!;
  const isAdmin = creds.role === 'admin';
  const companyIds = (user.company_ids as number[]).length ? (user.company_ids as number[]) : [user.company_id as number];
  const allowed: Record<string, unknown> = {};
  for (const id of companyIds) {
    const c = orm.row('res.company', id);
    if (!c) continue;
    allowed[String(id)] = {
      id,
      name: c.name,
      sequence: c.sequence,
      child_ids: orm.referencing('res.company', 'parent_id', id),
      parent_id: c.parent_id ?? false,
      currency_id: c.currency_id,
    };
  }
  const currencies: Record<string, unknown> = {};
  for (const cur of orm.rows('res.currency')) {
    if (cur.active === false) continue;
    currencies[String(cur.id)] = { name: cur.name, symbol: cur.symbol, position: cur.position, digits: [69, cur.decimal_places ?? 2] };
  }
  return {
    uid,
    is_system: isAdmin,
    is_admin: isAdmin,
    is_public: false,
    is_internal_user: creds.role !== 'reader',
    user_context: { lang: user.lang || 'en_US', tz: user.tz || 'Europe/Brussels', uid },
    db,
    registry_hash: '962dcb1bedab8b53fc374bbf5c5fd519a65351e35b3eddf2a60279952862da35',
    user_settings: { id: uid, user_id: { id: uid } },
    server_version: `${version}.0`,
    server_version_info: [version, 0, 0, 'final', 0, ''],
    support_url: 'https://www.odoo.com/buy',
    name: partner.name,
    username: user.login,
    quick_login: true,
    partner_write_date: String(partner.write_date).slice(0, 19),
    partner_display_name: orm.displayName('res.partner', partner),
    partner_id: partner.id,
    'web.base.url': 'http://127.0.0.1:8069',
    active_ids_limit: 20000,
    profile_session: null,
    profile_collectors: null,
    profile_params: null,
    max_file_upload_size: 134217728,
    home_action_id: false,
    currencies,
    bundle_params: { lang: user.lang || 'en_US' },
    test_mode: false,
    view_info: {},
    groups: { 'base.group_allow_export': isAdmin },
    user_companies: { current_company: user.company_id, allowed_companies: allowed, disallowed_ancestor_companies: {} },
    show_effect: true,
    max_time_between_keys_in_ms: 150,
    websocket_worker_version: `${version}.0-2`,
    tour_enabled: false,
    current_tour: null,
    iap_company_enrich: true,
    can_insert_in_spreadsheet: false,
  };
}
