/**
 * Whether PostgreSQL refused a text value for its characters: a NUL (`\u0000`) is valid JSON and
 * valid in a JavaScript string, but no PostgreSQL text may hold it (SQLSTATE 22021, and 22P05 for
 * one the encoding cannot represent). It arrives in usernames, ids and other request fields, and
 * is the caller's input, not the relay's fault: a 400, not a 500. SQLite stores or compares it.
 */
export function isTextRefusedByDatabase(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}

/**
 * Text from outside (a webhook receiver's answer, an error it caused) as both databases can
 * store it: each NUL becomes U+FFFD, as undecodable bytes already do. Refusing such text, as
 * request fields are, is no option here: the write records what already happened.
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
