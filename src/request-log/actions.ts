/**
 * The action names the request log records, in one list for the relay and the dashboard's
 * Action filter. Free of imports on purpose: the dashboard's build (Vite) bundles this file.
 */

/** The webhook's actions (`POST /api/n8n/webhook`, `{"action": …}`). */
export const WEBHOOK_ACTIONS = ['execute_method', 'chat', 'get_config', 'test_connection'] as const;

/** The REST API's routes over Odoo models (`/api/v1/models/…`), one action each. */
export const REST_ACTIONS = ['rest.list', 'rest.fields', 'rest.get', 'rest.create', 'rest.update', 'rest.delete', 'rest.method'] as const;

export type RestAction = (typeof REST_ACTIONS)[number];
