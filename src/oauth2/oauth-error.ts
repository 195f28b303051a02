/**
 * The OAuth protocol endpoints speak OAuth (RFC 6749 §5.2, RFC 7009, RFC 7662), not the relay's
 * envelope: an OAuthError becomes `{error, error_description}` with Cache-Control: no-store.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : error === 'server_error' ? 500 : 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}
