import type { RequestLogEntry } from '../../src/request-log/writer.js';

/**
 * `count` request-log rows numbered from `first` (request ids `req_<n>`), with every column set
 * or null in turn, so that a column bound to the wrong place shows.
 */
export function requestLogRows(count: number, first = 0): RequestLogEntry[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    return {
      created_at: 1_700_000_000_000 + i,
      request_id: `req_${i}`,
      user_id: i % 3 === 0 ? null : `usr_${i}`,
      api_key_id: `key_${i}`,
      key_prefix: `sk_live_${i}`,
      auth_method: i % 2 ? 'api_key' : 'oauth2',
      action: 'execute_method',
      model: 'res.partner',
      method: `m${i}`,
      status: 200 + (i % 5),
      code: i % 4 === 0 ? 'odoo_validation_error' : null,
      duration_ms: i + 0.25,
      odoo_ms: i % 7 === 0 ? null : i / 2,
      ip: `10.0.0.${i % 250}`,
      app_id: i % 5 === 0 ? `app_${i}` : null,
    };
  });
}
