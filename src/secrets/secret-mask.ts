/**
 * Masks secrets in a text another party wrote, where they may come back in another form: a
 * webhook receiver echoing a subscription's custom header values and signing secret into the
 * delivery log (httpbin's /anything, debug endpoints, error pages quoting the Authorization they
 * refused), or fetch quoting an LLM provider's key in an error the relay logs.
 *
 * Echoes escape a value in many ways: JSON (`\"`, PHP's `\/`, `\u0026` from Go or an
 * ASCII-only encoder), URLs (`%2F` or `%2f`, `+` for a space in a form), HTML (`&amp;`,
 * `&quot;` or `&#34;`, `&#39;`, `&#x27;` or `&#039;`). Listing every combination as a form of
 * its own would multiply them; instead each character of a secret is matched in any of the
 * ways an echo writes it, so one pattern per secret covers every escaping and either hex case.
 */

const MASK = '[redacted]';
/** Shorter values would mask ordinary text, and say little of a secret. */
const MIN_MASKED_LENGTH = 4;
/** A part of a value (the token of `Bearer <token>`) is masked on its own from this length. */
const MIN_PART_LENGTH = 8;

/** A secret as a sequence of characters, each with the ways an echo may write it. */
type Writings = string[][];

/** Returns a function that masks every given secret in a text, whole, escaped or cut at the end. */
export function secretMask(secrets: readonly string[]): (text: string) => string {
  const values = new Set<string>();
  for (const secret of secrets) {
    const whole = secret.trim();
    if (whole.length < MIN_MASKED_LENGTH) continue;
    values.add(whole);
    for (const part of whole.split(/\s+/)) if (part.length >= MIN_PART_LENGTH) values.add(part);
    // A signing secret's key may be configured at the receiver without its `whsec_` prefix.
    if (whole.startsWith('whsec_')) values.add(whole.slice('whsec_'.length));
  }
  if (values.size === 0) return (text) => text;
  // Longest first: where a value and a part of it start at the same place, the whole goes.
  const secretsWritten = [...values].sort((a, b) => b.length - a.length).map(writingsOf);
  const anyOf = new RegExp(secretsWritten.map(patternOf).join('|'), 'g');
  return (text) => maskCutTail(text.replace(anyOf, MASK), secretsWritten);
}

function writingsOf(value: string): Writings {
  return [...value].map(writingsOfChar);
}

/** Letters and digits stand as they are: no encoder escapes them. */
const PLAIN = /^[A-Za-z0-9]$/;
const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const HTML_NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** The ways JSON, URL and HTML encoders write one character (a code point), hex in either case. */
function writingsOfChar(ch: string): string[] {
  if (PLAIN.test(ch)) return [ch];
  const code = ch.codePointAt(0)!;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const bothCases = (s: string) => [s.toLowerCase(), s.toUpperCase()];
  const out = new Set<string>([ch]);
  // JSON
  if (JSON_SHORT[ch]) out.add(JSON_SHORT[ch]);
  for (const s of bothCases([...Array(ch.length).keys()].map((i) => `\\u${hex(ch.charCodeAt(i), 4)}`).join(''))) out.add(s.replace(/\\U/g, '\\u'));
  // URL: percent-encoded UTF-8, and a form's `+` for a space
  for (const s of bothCases([...Buffer.from(ch, 'utf8')].map((b) => `%${hex(b, 2)}`).join(''))) out.add(s);
  if (ch === ' ') out.add('+');
  // HTML: named, decimal (PHP pads `&#039;`) and hex references
  if (HTML_NAMED[ch]) out.add(HTML_NAMED[ch]);
  out.add(`&#${code};`).add(`&#${String(code).padStart(3, '0')};`);
  for (const s of bothCases(hex(code, 2))) out.add(`&#x${s};`);
  return [...out].sort((a, b) => b.length - a.length);
}

const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\]/g;

function patternOf(written: Writings): string {
  return written.map((ways) => (ways.length === 1 ? ways[0]!.replace(REGEXP_SPECIAL, '\\$&') : `(?:${ways.map((w) => w.replace(REGEXP_SPECIAL, '\\$&')).join('|')})`)).join('');
}

/**
 * The stored body is the first 1 KiB, a logged header the first 512 characters: a secret that
 * straddles the cut ends the text with its own beginning, which a whole match never finds.
 */
function maskCutTail(text: string, secretsWritten: readonly Writings[]): string {
  let cut = text.length;
  for (const written of secretsWritten) {
    const longest = written.reduce((n, ways) => n + ways[0]!.length, 0);
    // The earliest start in the tail whose rest of the text begins a writing of the secret is the longest cut piece.
    for (let i = Math.max(0, text.length - longest + 1); i <= text.length - MIN_MASKED_LENGTH && i < cut; i++) {
      if (beginsWriting(written, text, i)) cut = i;
    }
  }
  return cut < text.length ? text.slice(0, cut) + MASK : text;
}

/** Whether the text from `at` to its end is how an echo writes the secret's beginning, from its `k`th character on. */
function beginsWriting(written: Writings, text: string, at: number, k = 0): boolean {
  if (at === text.length) return true;
  if (k === written.length) return false;
  const left = text.length - at;
  for (const way of written[k]!) {
    if (way.length >= left ? way.startsWith(text.slice(at)) : text.startsWith(way, at) && beginsWriting(written, text, at + way.length, k + 1)) return true;
  }
  return false;
}
