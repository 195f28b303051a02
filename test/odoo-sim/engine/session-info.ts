/** The `/web/session/authenticate` result, shaped key for key like Odoo 19's (fixture web-session-authenticate.json). */
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
    user_settings: userSettings(uid),
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
    view_info: VIEW_INFO,
    groups: { 'base.group_allow_export': isAdmin },
    user_companies: { current_company: user.company_id, allowed_companies: allowed, disallowed_ancestor_companies: {} },
    show_effect: true,
    max_time_between_keys_in_ms: 150,
    websocket_worker_version: `${version}.0-2`,
    tour_enabled: false,
    current_tour: null,
    storeData: storeData(orm, uid, partner.id, isAdmin),
    iap_company_enrich: true,
    can_insert_in_spreadsheet: false,
  };
}

const view = (display_name: string, icon: string, multi_record = true) => ({ display_name, icon, multi_record });
const VIEW_INFO = {
  list: view('List', 'oi oi-view-list'),
  form: view('Form', 'fa fa-address-card', false),
  graph: view('Graph', 'fa fa-area-chart'),
  pivot: view('Pivot', 'oi oi-view-pivot'),
  calendar: view('Calendar', 'fa fa-calendar'),
  kanban: view('Kanban', 'oi oi-view-kanban'),
  search: view('Search', 'oi oi-search'),
  activity: view('Activity', 'fa fa-clock-o'),
};

function userSettings(uid: number): Record<string, unknown> {
  return {
    id: uid,
    embedded_actions_config_ids: {},
    is_discuss_sidebar_category_channel_open: true,
    is_discuss_sidebar_category_chat_open: true,
    push_to_talk_key: false,
    use_push_to_talk: false,
    voice_active_duration: 200,
    channel_notifications: false,
    user_id: { id: uid },
    volumes: [['ADD', []]],
  };
}

/** Discuss' store bootstrap: the bot and the user's partner, as Odoo 19 sends it. */
function storeData(orm: Orm, uid: number, partnerId: number, isAdmin: boolean): Record<string, unknown> {
  const partner = (id: number, userId: number, extra: Record<string, unknown>) => {
    const p = orm.row('res.partner', id);
    return {
      active: p?.active !== false,
      avatar_128_access_token: `sim-avatar-${id}`,
      id,
      im_status_access_token: `sim-status-${id}`,
      main_user_id: userId,
      name: p?.name ?? false,
      write_date: String(p?.write_date ?? '').slice(0, 19),
      ...extra,
    };
  };
  return {
    Store: {
      action_discuss_id: 125,
      channel_types_with_seen_infos: ['chat', 'group'],
      hasCannedResponses: true,
      hasGifPickerFeature: false,
      hasLinkPreviewFeature: true,
      hasMessageTranslationFeature: false,
      internalUserGroupId: 1,
      mt_comment: 1,
      mt_note: 2,
      odoobot: 2,
      self_partner: partnerId,
      settings: userSettings(uid),
    },
    'res.partner': [
      partner(2, 1, { email: 'odoobot@example.com', im_status: 'bot', is_company: false }),
      partner(partnerId, uid, { im_status: 'offline' }),
    ],
    'res.users': [
      { id: 1, partner_id: 2, share: false },
      {
        id: uid,
        is_admin: isAdmin,
        notification_type: 'email',
        partner_id: partnerId,
        share: orm.row('res.users', uid)?.share === true,
        signature: ['markup', `<div>${String(orm.row('res.partner', partnerId)?.name ?? '')}</div>`],
      },
    ],
  };
}
