/**
 * NUL characters (U+0000) in requests. JSON and URLs can carry one, JavaScript strings hold it,
 * but no PostgreSQL text can (the relay's, when DATABASE_URL is set, nor Odoo's): a name, id or
 * filter holding one was a 400 on PostgreSQL and stored or looked up as is on SQLite, where a
 * later move to PostgreSQL could not load it. Refused on the way in, the same on both.
 */

/** Whether a JSON text holds a `\u0000` escape (and not a `\\u0000`, an escaped backslash before "u0000"). */
export function jsonHoldsNul(text: string): boolean {
  for (let i = text.indexOf('\\u0000'); i !== -1; i = text.indexOf('\\u0000', i + 1)) {
    let backslashes = 0;
    for (let j = i - 1; j >= 0 && text.charCodeAt(j) === 92; j--) backslashes++;
    // An even number before it leaves this backslash starting an escape of its own.
    if (backslashes % 2 === 0) return true;
  }
  return false;
}

/** Whether a request target (path and query, still percent-encoded) holds an encoded NUL. */
export function urlHoldsNul(url: string): boolean {
  return url.includes('%00');
}
