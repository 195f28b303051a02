/**
 * Whether a database error means the database cannot be used right now, rather than a bug: the
 * PostgreSQL server down, restarting or out of connections, the connection to it lost, or
 * SQLite locked by another process for longer than its busy timeout. Such a request is answered
 * 503 storage_unavailable with Retry-After (a caller may retry), not 500 internal_error.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** SQLSTATEs: admin or crash shutdown, not accepting connections yet, too many connections. */
const SERVER_CODES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres's own words for a connection that ended or never came (it gives them no code). */
const POOL_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/];

export function isStorageUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      // SQLSTATE class 08: connection exceptions.
      if (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08') || code === 'SQLITE_BUSY') return true;
    }
    if (typeof message === 'string' && POOL_MESSAGES.some((m) => m.test(message))) return true;
    // pg reports a refused connection to a host with several addresses as an AggregateError.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every(isStorageUnavailable)) return true;
  }
  return false;
}

/** What to log of such an error: its message alone (a stack says nothing about a database that is away). */
export function unavailableReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
