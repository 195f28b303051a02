/**
 * Whether a database error is a unique-constraint violation: SQLite's (better-sqlite3 names the
 * constraint kind in its code) or PostgreSQL's SQLSTATE 23505. A check-then-insert can lose a
 * race to a concurrent insert; the constraint still holds, and this tells the caller to answer
 * "already exists" rather than fail as a bug.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
