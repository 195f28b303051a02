/**
 * Whether a database error is a foreign-key violation: SQLite's (better-sqlite3 names the
 * constraint kind in its code) or PostgreSQL's SQLSTATE 23503. A row written about another that
 * a concurrent delete removed meanwhile (an attempt of a delivery whose subscription was just
 * deleted) is refused by the constraint, and the caller can leave that row out and try again.
 */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}
