/**
 * The Odoo versions and protocols the relay's webhook tests run against the Odoo test server:
 * 17 and 18 over JSON-RPC, 19 over JSON-2 with an API key, and 19 with a password (which
 * JSON-2 does not take, so the relay falls back to JSON-RPC).
 */
export const SIM_API_KEY = 'sim-admin-api-key-0123456789';

export const ODOO_PROTOCOL_CASES = [
  { label: 'Odoo 17 over JSON-RPC', version: 17 as const, secret: 'admin', protocol: 'jsonrpc' },
  { label: 'Odoo 18 over JSON-RPC', version: 18 as const, secret: 'admin', protocol: 'jsonrpc' },
  { label: 'Odoo 19 over JSON-2 (API key)', version: 19 as const, secret: SIM_API_KEY, protocol: 'json2' },
  { label: 'Odoo 19 with a password (falls back to JSON-RPC)', version: 19 as const, secret: 'admin', protocol: 'jsonrpc' },
];
