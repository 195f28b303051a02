import type { ColumnType, Generated } from 'kysely';

/** Row types of the relay's tables. Times are epoch milliseconds; booleans are 0/1 (portable). */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'user';
  created_at: number;
  updated_at: number;
  /**
   * Set while an administrator has the account disabled (migration 0016). Left out of inserts
   * (the column defaults to null), so an account can be created on a database not yet migrated
   * that far, as the migration tests do.
   */
  disabled_at: ColumnType<number | null, number | null | undefined, number | null>;
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
  app_id: string | null;
}

export interface AppsTable {
  id: string;
  user_id: string;
  name: string;
  client_id: string;
  /** `confidential` (has a secret) or `public` (PKCE only, e.g. a single-page or mobile app). */
  client_type: string;
  client_secret_hash: string | null;
  consumer_key: string;
  consumer_secret_enc: string;
  redirect_uris: string;
  scopes: string;
  allowed_models: string | null;
  allowed_methods: string | null;
  rate_limit: number;
  created_at: number;
  updated_at: number;
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

/**
 * rate-limiter-flexible's table (migration 0002), written by the library on PostgreSQL only:
 * API keys' per-minute counts and the login throttle's. `expire` is in ms since the epoch.
 */
/** One row: a known text sealed with the master key, proving at start that the key is the right one. */
export interface MasterKeyCheckTable {
  id: string;
  sealed: string;
  created_at: number;
}

export interface RateLimitsTable {
  key: string;
  points: number;
  expire: number | null;
}

export interface HmacNoncesTable {
  key_id: string;
  signature: string;
  expires_at: number;
}

export interface SubscriptionsTable {
  id: string;
  user_id: string;
  connection_id: string;
  name: string;
  model: string;
  /** JSON array of 'create' | 'write' | 'unlink'. */
  events: string;
  /** JSON Odoo domain, or null for every record. */
  domain: string | null;
  /** JSON field names: a write is an event only when one of them changed; null for any write. */
  changed_fields: string | null;
  /** JSON field names included in the payload; null for all readable fields. */
  fields: string | null;
  target_url: string;
  format: 'json' | 'xml';
  timeout_ms: number;
  retries: number;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_until: number | null;
  /** Sealed JSON object of custom headers (may hold the receiver's credentials). */
  headers_enc: string | null;
  capture_mode: 'auto' | 'push' | 'poll';
  /** What capture actually runs: push rules in Odoo (plus a reconciling poll) or polling only. */
  capture_effective: 'push' | 'poll';
  capture_note: string | null;
  active: number;
  consecutive_failures: number;
  disabled_at: number | null;
  disabled_reason: string | null;
  /** The OAuth app whose token created it (null: the dashboard, an API key, the CLI, or before 0015). */
  app_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SubscriptionCaptureTable {
  subscription_id: string;
  cursor_write_date: string | null;
  /** JSON ids already emitted in the cursor's second. */
  cursor_ids: string;
  /** JSON id ranges the relay has announced (null until the first id snapshot). */
  known_ids: string | null;
  /**
   * Odoo second (`YYYY-MM-DD HH:MM:SS`) the known-id snapshot was taken at: an unannounced
   * record created before it is a write (it was outside the domain), one created after it new.
   */
  known_since: string | null;
  next_poll_at: number;
  next_sweep_at: number;
  last_poll_at: number | null;
  last_error: string | null;
  /** JSON {automationIds, actionIds} owned by the relay in Odoo. */
  push_rules: string | null;
  /**
   * Capture lease (events/capture-lease.ts): polls, set-up and teardown of one subscription's
   * capture never overlap, also across instances. `locked_by` is the holder, `locked_until` when
   * the lease runs out unless renewed.
   */
  locked_by: string | null;
  locked_until: number | null;
  /** When a push post for this subscription last reached an instance (ms), whatever became of its hint. */
  last_push_at: number | null;
}

export interface IngestTokensTable {
  token_hash: string;
  subscription_id: string;
  trigger: 'change' | 'unlink';
  created_at: number;
}

export interface RecordSnapshotsTable {
  subscription_id: string;
  record_id: number;
  vals: string;
  /** The record's write_date the values were read at (null: read without one, at set-up). */
  write_date: string | null;
}

export interface EventsTable {
  id: string;
  subscription_id: string;
  model: string;
  record_id: number;
  event: 'create' | 'write' | 'unlink';
  source: 'push' | 'poll' | 'replay' | 'test';
  /** The serialized JSON EventPayload (format-independent; XML is rendered at send time). */
  payload: string;
  occurred_at: number;
  created_at: number;
}

export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'failed';

export interface DeliveriesTable {
  /** The webhook-id (`msg_…`), the same on every attempt. */
  id: string;
  event_id: string;
  subscription_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  /** The format of its first attempt, kept for every later one (null until then). */
  format: 'json' | 'xml' | null;
}

export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempt: number;
  worker: string;
  started_at: number;
  duration_ms: number;
  status: number | null;
  error: string | null;
  error_message: string | null;
  response_headers: string | null;
  response_body: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  odoo_connections: OdooConnectionsTable;
  api_keys: ApiKeysTable;
  master_key_check: MasterKeyCheckTable;
  request_log: RequestLogTable;
  idempotency_keys: IdempotencyKeysTable;
  hmac_nonces: HmacNoncesTable;
  rate_limits: RateLimitsTable;
  subscriptions: SubscriptionsTable;
  subscription_capture: SubscriptionCaptureTable;
  ingest_tokens: IngestTokensTable;
  record_snapshots: RecordSnapshotsTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  apps: AppsTable;
  oauth1_tokens: Oauth1TokensTable;
  oauth1_nonces: Oauth1NoncesTable;
  oauth2_requests: OAuth2RequestsTable;
  oauth2_codes: OAuth2CodesTable;
  oauth2_tokens: OAuth2TokensTable;
  oauth2_grants: OAuth2GrantsTable;
  oauth2_revoked_families: OAuth2RevokedFamiliesTable;
}

// OAuth 2.0 authorization server (migration 0005_oauth2). Scopes are JSON arrays.
export interface OAuth2RequestsTable {
  id: string;
  app_id: string;
  redirect_uri: string;
  scopes: string;
  state: string | null;
  code_challenge: string | null;
  created_at: number;
  expires_at: number;
}

export interface OAuth2CodesTable {
  code_hash: string;
  app_id: string;
  user_id: string;
  family_id: string;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface OAuth2TokensTable {
  token_hash: string;
  kind: 'access' | 'refresh';
  app_id: string;
  user_id: string;
  family_id: string;
  scopes: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export interface OAuth2RevokedFamiliesTable {
  family_id: string;
  revoked_at: number;
  expires_at: number;
}

export interface OAuth2GrantsTable {
  app_id: string;
  user_id: string;
  scopes: string;
  created_at: number;
  updated_at: number;
}

/** OAuth 1.0a request tokens (10 minutes, single use) and access tokens. */
export interface Oauth1TokensTable {
  id: string;
  /** SHA-256 of the token value. */
  token_hash: string;
  kind: 'request' | 'access';
  app_id: string;
  /** The user who authorized it; null for a request token not yet approved. */
  user_id: string | null;
  /** The token secret (a signing key), AES-256-GCM. */
  secret_enc: string;
  /** Request tokens: `oob` or the registered callback URL. */
  callback: string | null;
  /** Request tokens: SHA-256 of the verifier, set when the user approves. */
  verifier_hash: string | null;
  created_at: number;
  expires_at: number | null;
  authorized_at: number | null;
  /**
   * JSON array of scopes (migration 0007_oauth1_token_scopes). Request tokens: the scopes the
   * consent page asks for (the app's when the token was issued), narrowed to what the user
   * approved when approved; access tokens: what the user approved, copied at the exchange.
   * NULL only on tokens older than the column whose approval could not be established: such an
   * access token is refused until the user approves the app again.
   */
  scopes: string | null;
}

export interface Oauth1NoncesTable {
  consumer_key: string;
  /** SHA-256 of the oauth_token, or '' for a request signed by the consumer alone. */
  token_hash: string;
  timestamp: number;
  nonce: string;
  expires_at: number;
}
