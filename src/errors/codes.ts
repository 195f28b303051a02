/**
 * The closed set of error codes the relay answers with, each mapped to its HTTP status in this
 * one table. Callers (n8n workflows) branch on `code`; it never changes meaning once released.
 */
export const errorCodes = {
  // 400: the request itself is wrong
  invalid_json: { status: 400, message: 'Request body is not valid JSON' },
  invalid_request: { status: 400, message: 'Request body does not match the expected shape' },
  unknown_action: { status: 400, message: 'Unknown action' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json' },
  body_too_large: { status: 413, message: 'Request body is too large' },
  headers_too_large: { status: 431, message: 'Request headers are too large (16 KB at most, the URL included)' },
  request_timeout: { status: 408, message: 'The request did not arrive in time (REQUEST_TIMEOUT_MS)' },
  // 401: who is calling?
  unauthenticated: { status: 401, message: 'Not authenticated' },
  invalid_api_key: { status: 401, message: 'Invalid API key' },
  api_key_revoked: { status: 401, message: 'API key has been revoked' },
  api_key_expired: { status: 401, message: 'API key has expired' },
  invalid_signature: { status: 401, message: 'Invalid HMAC signature' },
  session_expired: { status: 401, message: 'Session expired, log in again' },
  invalid_credentials: { status: 401, message: 'Invalid username or password' },
  // 403: known caller, not allowed
  forbidden_scope: { status: 403, message: 'API key lacks the required scope' },
  model_not_allowed: { status: 403, message: 'Model is not in this API key’s allow-list' },
  method_not_allowed: { status: 403, message: 'Method is not allowed for this API key' },
  private_method: { status: 403, message: 'Private methods cannot be called' },
  odoo_url_not_allowed: { status: 403, message: 'This relay may not call Odoo at that address (ODOO_ALLOWED_ORIGINS)' },
  admin_required: { status: 403, message: 'Only administrators can do this' },
  connection_not_allowed: { status: 403, message: 'This credential acts on another Odoo connection' },
  cross_site_request: { status: 403, message: 'Cross-site requests are refused' },
  csrf_failed: { status: 403, message: 'Missing or invalid CSRF token' },
  setup_already_done: { status: 403, message: 'Setup has already been completed' },
  account_disabled: { status: 403, message: 'The relay account this credential acts for is disabled' },
  // 404
  not_found: { status: 404, message: 'Not found' },
  no_odoo_connection: { status: 404, message: 'No Odoo connection: set one up in the dashboard (Settings → Odoo connection) or with the CLI (connections set)' },
  // 405: the path exists, with other methods (the answer's Allow header lists them)
  http_method_not_allowed: { status: 405, message: 'This path does not take this HTTP method' },
  // 409 / 422: conflicts
  conflict: { status: 409, message: 'Conflict' },
  idempotency_in_progress: { status: 409, message: 'A request with this Idempotency-Key is still being processed' },
  conversation_busy: { status: 409, message: 'A question on this conversation is still being answered' },
  idempotency_key_reused: { status: 422, message: 'Idempotency-Key was already used for a different request (another body, or another route of the REST API)' },
  idempotency_outcome_unknown: {
    status: 409,
    message: 'The first request with this Idempotency-Key reached Odoo but its outcome is unknown; check in Odoo, then send again with a new key if it was not applied',
  },
  // outbound events
  target_not_allowed: { status: 422, message: 'Subscription URL points at an address the relay may not call' },
  push_capture_unavailable: { status: 422, message: 'Push capture needs Odoo 17+ and an ingest URL Odoo can reach (EVENTS_INGEST_URL or PUBLIC_URL)' },
  unknown_ingest_token: { status: 404, message: 'Unknown ingest token' },
  // 499 (nginx's "client closed request"): only ever logged, nobody is left to read it
  client_closed_request: { status: 499, message: 'The client closed the connection before the answer; a queued Odoo call was not sent' },
  // 429
  rate_limited: { status: 429, message: 'Rate limit exceeded' },
  too_many_login_attempts: { status: 429, message: 'Too many login attempts, try again later' },
  // Odoo's own refusals, passed through with their exception name in `details`
  odoo_auth_failed: { status: 502, message: 'Odoo rejected the connection credentials' },
  odoo_unknown_database: { status: 502, message: 'Odoo has no database by the connection’s name' },
  odoo_access_error: { status: 403, message: 'Odoo refused access' },
  odoo_missing_record: { status: 404, message: 'Record does not exist or has been deleted' },
  odoo_unknown_model: { status: 404, message: 'Unknown Odoo model' },
  odoo_unknown_method: { status: 400, message: 'Unknown Odoo method' },
  odoo_validation_error: { status: 422, message: 'Odoo validation failed' },
  odoo_user_error: { status: 422, message: 'Odoo refused the operation' },
  odoo_bad_request: { status: 400, message: 'Odoo rejected the parameters' },
  odoo_unmappable_args: { status: 400, message: 'Positional args cannot be mapped to JSON-2 named parameters' },
  odoo_server_error: { status: 502, message: 'Odoo raised an unexpected error' },
  // Odoo is not answering well
  odoo_unreachable: { status: 502, message: 'Odoo is unreachable' },
  odoo_bad_response: { status: 502, message: 'Odoo answered with an invalid response' },
  odoo_timeout: { status: 504, message: 'Odoo did not answer in time' },
  odoo_busy: { status: 503, message: 'Too many concurrent calls to this Odoo connection, retry shortly' },
  odoo_unavailable: { status: 503, message: 'Odoo’s server is throttling or unavailable (HTTP 429 or 503), retry later' },
  // features not set up
  chat_not_configured: { status: 503, message: 'Chat is not configured on this relay' },
  storage_unavailable: { status: 503, message: 'The relay’s database cannot be reached right now, retry shortly' },
  not_ready: { status: 503, message: 'Not ready' },
  shutting_down: { status: 503, message: 'The relay is shutting down; retry shortly (another instance, or this one once restarted)' },
  // chat: the LLM agent (provider details travel in `details`, never the provider's key)
  chat_writes_disabled: { status: 403, message: 'The model tried to change data, but this chat request is read-only' },
  chat_step_limit: { status: 422, message: 'The model used every allowed step without answering' },
  chat_token_budget: { status: 422, message: 'The model used the whole token budget without answering' },
  chat_invalid_output: { status: 502, message: 'The model’s answer did not match the requested JSON schema' },
  chat_provider_unreachable: { status: 502, message: 'The LLM provider is unreachable' },
  chat_provider_auth_failed: { status: 502, message: 'The LLM provider refused the relay’s API key' },
  chat_provider_error: { status: 502, message: 'The LLM provider answered with an error' },
  chat_timeout: { status: 504, message: 'The chat request did not finish in time' },
  // OAuth 1.0a (RFC 5849): signed requests from third-party apps; 401s carry WWW-Authenticate: OAuth
  oauth1_bad_request: { status: 400, message: 'OAuth 1.0a request is malformed or misses a required parameter' },
  oauth1_unsupported_signature_method: { status: 400, message: 'Signature method must be HMAC-SHA1 or HMAC-SHA256' },
  oauth1_callback_not_registered: { status: 400, message: 'oauth_callback must be oob or one of the app’s registered redirect URIs' },
  oauth1_unknown_consumer: { status: 401, message: 'Unknown OAuth 1.0a consumer key' },
  oauth1_invalid_token: { status: 401, message: 'OAuth 1.0a token is unknown, expired, used or revoked' },
  oauth1_invalid_verifier: { status: 401, message: 'OAuth 1.0a verifier does not match the request token' },
  oauth1_invalid_signature: { status: 401, message: 'OAuth 1.0a signature does not match the request' },
  oauth1_timestamp_out_of_window: { status: 401, message: 'oauth_timestamp is too far from the relay’s clock' },
  oauth1_nonce_reused: { status: 401, message: 'oauth_nonce was already used with this timestamp (replay)' },
  // OAuth 2.0 resource calls (RFC 6750): the bearer token is unknown, expired or revoked
  invalid_token: { status: 401, message: 'Invalid or expired access token' },
  // the relay's own bugs
  internal_error: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** HTTP status for a code: the one place this mapping lives. */
export function statusOf(code: ErrorCode): number {
  return errorCodes[code].status;
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCodes, value);
}
