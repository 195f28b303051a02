import type { Generated } from 'kysely';

/** Row types of the relay's tables. Times are epoch milliseconds; booleans are 0/1 (portable). */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'user';
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface OdooConnectionsTable {
  id: string;
  user_id: string;
  name: string;
  url: string;
  database: string;
  login: string;
  secret_enc: string;
  protocol: 'auto' | 'jsonrpc' | 'json2';
  timeout_ms: number;
  max_concurrent: number;
  is_default: number;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  connection_id: string | null;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string;
  allowed_models: string | null;
  allowed_methods: string | null;
  rate_limit: number;
  hmac_secret_enc: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

export interface RequestLogTable {
  id: Generated<number>;
  created_at: number;
  request_id: string;
  user_id: string | null;
  api_key_id: string | null;
  key_prefix: string | null;
  auth_method: string | null;
  action: string | null;
  model: string | null;
  method: string | null;
  status: number;
  code: string | null;
  duration_ms: number;
  odoo_ms: number | null;
  ip: string | null;
}

export interface IdempotencyKeysTable {
  scope: string;
  idem_key: string;
  request_hash: string;
  status: number | null;
  response: string | null;
  created_at: number;
  expires_at: number;
}

export interface HmacNoncesTable {
  key_id: string;
  signature: string;
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  odoo_connections: OdooConnectionsTable;
  api_keys: ApiKeysTable;
  request_log: RequestLogTable;
  idempotency_keys: IdempotencyKeysTable;
  hmac_nonces: HmacNoncesTable;
}
