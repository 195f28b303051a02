import { errorCodes, type ErrorCode } from './codes.js';

/** The one error body every route answers with: `{success:false, error, details, code, requestId}`. */
export interface ErrorBody {
  success: false;
  error: string;
  details: unknown;
  code: ErrorCode;
  requestId: string;
  [extra: string]: unknown;
}

export function errorBody(
  code: ErrorCode,
  requestId: string,
  message?: string,
  details?: unknown,
  extra?: Record<string, unknown>,
): ErrorBody {
  return {
    success: false,
    error: message ?? errorCodes[code].message,
    details: details ?? null,
    code,
    requestId,
    ...extra,
  };
}
