/**
 * The one error type the Odoo client throws. Callers switch on `code` (a closed set) and may
 * show `message`; `odooName`/`odooMessage` carry what Odoo itself said, when it said anything.
 * Nothing here ever holds the connection secret or Odoo's debug traceback.
 */

export const ODOO_ERROR_CODES = [
  'odoo_unreachable',
  'odoo_timeout',
  'odoo_bad_response',
  'odoo_auth_failed',
  'odoo_unknown_database',
  'odoo_busy',
  'odoo_unavailable',
  'odoo_access_error',
  'odoo_missing_record',
  'odoo_validation_error',
  'odoo_user_error',
  'odoo_unknown_model',
  'odoo_unknown_method',
  'odoo_bad_request',
  'odoo_unmappable_args',
  'odoo_server_error',
  // Not sent: the caller had gone away while the call waited for a slot.
  'client_closed_request',
] as const;

export type OdooErrorCode = (typeof ODOO_ERROR_CODES)[number];

export interface OdooErrorDetails {
  /** Fully-qualified Python exception name Odoo reported, e.g. `odoo.exceptions.MissingError`. */
  odooName?: string;
  /** Odoo's own message for the exception (never the traceback). */
  odooMessage?: string;
  /** HTTP status of Odoo's answer, when there was one. */
  httpStatus?: number;
  /** For `odoo_busy` and `odoo_unavailable`: when the caller may try again. */
  retryAfterSeconds?: number;
  /**
   * The call reached Odoo, or may have, and its outcome is unknown: it timed out, the connection
   * dropped after sending, or a gateway in front of Odoo gave up. A write may have been applied.
   */
  mayHaveRun?: boolean;
  /** For `odoo_auth_failed` over JSON-2: the login of the API key's user, which is not the connection's login. */
  keyLogin?: string;
}

/** An Odoo call failure with a stable machine-readable code. */
export class OdooError extends Error {
  readonly code: OdooErrorCode;
  readonly odooName?: string;
  readonly odooMessage?: string;
  readonly httpStatus?: number;
  readonly retryAfterSeconds?: number;
  readonly mayHaveRun?: boolean;
  readonly keyLogin?: string;

  constructor(code: OdooErrorCode, message: string, details: OdooErrorDetails = {}) {
    super(message);
    this.name = 'OdooError';
    this.code = code;
    if (details.odooName !== undefined) this.odooName = details.odooName;
    if (details.odooMessage !== undefined) this.odooMessage = details.odooMessage;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.mayHaveRun) this.mayHaveRun = true;
    if (details.keyLogin !== undefined) this.keyLogin = details.keyLogin;
  }

  /** Plain, log- and response-safe shape (no stack, no cause). */
  toJSON(): { code: OdooErrorCode; message: string } & OdooErrorDetails {
    return {
      code: this.code,
      message: this.message,
      ...(this.odooName !== undefined && { odooName: this.odooName }),
      ...(this.odooMessage !== undefined && { odooMessage: this.odooMessage }),
      ...(this.httpStatus !== undefined && { httpStatus: this.httpStatus }),
      ...(this.retryAfterSeconds !== undefined && { retryAfterSeconds: this.retryAfterSeconds }),
      ...(this.mayHaveRun && { mayHaveRun: true }),
      ...(this.keyLogin !== undefined && { keyLogin: this.keyLogin }),
    };
  }
}

/** True when `value` is an OdooError (optionally with the given code). */
export function isOdooError(value: unknown, code?: OdooErrorCode): value is OdooError {
  return value instanceof OdooError && (code === undefined || value.code === code);
}
