import { Buffer } from 'node:buffer';

/**
 * Checks that a text is JSON without building it.
 *
 * The relay puts the text of Odoo's JSON-2 answers into its own replies unchanged, so it must
 * prove the text is JSON first: one bad answer would otherwise make its reply broken JSON too.
 * Proving it with JSON.parse built every record of the answer only to throw them all away, one of
 * the largest costs of a call. This is a single forward pass over the text's char codes with a
 * small state machine: nothing allocated per value, no recursion (one bit per open level, so
 * `[[[[…` of any depth is fine).
 *
 * It accepts exactly what V8's JSON.parse accepts: RFC 8259, with any value at the top level,
 * lone surrogates (escaped or raw), duplicate names and numbers of any size.
 */
export type JsonTextKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** What a JSON text is at its top level, or null when it is not valid JSON (RFC 8259, as JSON.parse accepts it). */
export function jsonTextKind(text: string): JsonTextKind | null {
  const codes = charCodesOf(text);
  let i = 0;
  // From here on c is always codes[i], the first character not yet consumed, so each character
  // is read once. Character tests are written out: as boolean helpers they were ~10% slower.
  let c = codes[0];
  while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = codes[++i]; // JSON whitespace
  const first = c; // names the kind, once the whole text has proved valid
  let depth = 0;
  // Whether the innermost open level is an object: kept in a local so that commas and closers,
  // the common case, never touch the level stack.
  let inObject = false;
  // Whether what comes is a member name (a string, then a colon) rather than a value.
  let isName = false;

  for (;;) {
    // State 1: a value, or a member name, starts here.
    while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = codes[++i];
    if (c === 34 /* " */) {
      for (;;) {
        c = codes[++i];
        // Plain string characters (all but a quote, a backslash or a control character, the 0
        // after the end included) are nearly all of an answer. Lower-case letters and non-ASCII
        // pass on the first test; two characters a turn made long strings ~20% faster.
        for (;;) {
          if (!(c > 92 || (c >= 32 && c !== 34 && c !== 92))) break;
          c = codes[++i];
          if (!(c > 92 || (c >= 32 && c !== 34 && c !== 92))) break;
          c = codes[++i];
        }
        if (c === 34) break;
        if (c !== 92 /* \ */ || (i = skipEscape(codes, i)) < 0) return null;
      }
      c = codes[++i];
      if (isName) {
        isName = false;
        while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = codes[++i];
        if (c !== 58 /* : */) return null;
        c = codes[++i];
        continue;
      }
    } else if (isName) return null; // also a trailing comma in an object, or "{,"
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      inObject = c === 123;
      openLevel(++depth, inObject);
      c = codes[++i];
      while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = codes[++i];
      // An empty container is a value that ends at once: its closer is left to state 2.
      if (c !== (inObject ? 125 /* } */ : 93 /* ] */)) {
        isName = inObject;
        continue;
      }
    } else if (c === 116 /* t */) {
      if (codes[i + 1] !== 114 || codes[i + 2] !== 117 || codes[i + 3] !== 101) return null; // rue
      c = codes[(i += 4)];
    } else if (c === 102 /* f */) {
      if (codes[i + 1] !== 97 || codes[i + 2] !== 108 || codes[i + 3] !== 115 || codes[i + 4] !== 101) return null; // alse
      c = codes[(i += 5)];
    } else if (c === 110 /* n */) {
      if (codes[i + 1] !== 117 || codes[i + 2] !== 108 || codes[i + 3] !== 108) return null; // ull
      c = codes[(i += 4)];
    } else {
      // A number, or nothing valid (a trailing comma in an array ends here too). A leading 0
      // stands alone: "01" ends after the 0 and fails on the 1 in state 2.
      if (c === 45 /* - */) c = codes[++i];
      if (c === 48 /* 0 */) c = codes[++i];
      else if (c >= 49 && c <= 57) do c = codes[++i]; while (c >= 48 && c <= 57);
      else return null;
      if (c === 46 /* . */) {
        c = codes[++i];
        if (!(c >= 48 && c <= 57)) return null;
        do c = codes[++i]; while (c >= 48 && c <= 57);
      }
      if ((c | 32) === 101 /* e or E */) {
        c = codes[++i];
        if (c === 43 /* + */ || c === 45 /* - */) c = codes[++i];
        if (!(c >= 48 && c <= 57)) return null;
        do c = codes[++i]; while (c >= 48 && c <= 57);
      }
    }

    // State 2: a value has ended. A comma, the current level's closer or, outside every level,
    // the end of the text may follow; closers may follow each other, hence the loop.
    for (;;) {
      while (c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9)) c = codes[++i];
      if (depth === 0) return i === text.length ? kindOf(first) : null;
      if (c === 44 /* , */) {
        c = codes[++i];
        isName = inObject;
        break;
      }
      if (c !== (inObject ? 125 /* } */ : 93 /* ] */)) return null;
      c = codes[++i];
      inObject = isObjectLevel(--depth);
    }
  }
}

/** The kind of a valid text, from its first character. */
function kindOf(first: number): JsonTextKind {
  if (first === 123 /* { */) return 'object';
  if (first === 91 /* [ */) return 'array';
  if (first === 34 /* " */) return 'string';
  if (first === 110 /* n */) return 'null';
  return first === 116 /* t */ || first === 102 /* f */ ? 'boolean' : 'number';
}

// The char codes are read from a typed array, not with text.charCodeAt(i): V8 dispatches on the
// string's representation at every charCodeAt call, and the same state machine over charCodeAt
// was only 1.1-1.7x faster than JSON.parse (3-4x this way). Buffer#write copies all the code
// units in one native call (~0.1 ns a character). The array is reused, as a call never yields or
// re-enters; a text longer than KEPT_CODES (2 MiB of array) gets a throwaway array of its own.
const KEPT_CODES = 1 << 20;
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
let scratch = new Uint16Array(8192);
let scratchBytes = Buffer.from(scratch.buffer);

/** The code units of text, followed by a 0 that no rule accepts, so no loop needs an end test. */
function charCodesOf(text: string): Uint16Array {
  let codes = scratch;
  let bytes = scratchBytes;
  if (text.length >= codes.length) {
    codes = new Uint16Array(Math.max(text.length + 1, Math.min(codes.length * 2, KEPT_CODES)));
    bytes = Buffer.from(codes.buffer);
    if (codes.length <= KEPT_CODES) {
      scratch = codes;
      scratchBytes = bytes;
    }
  }
  const written = bytes.write(text, 0, 'utf16le');
  if (BIG_ENDIAN) bytes.subarray(0, written).swap16();
  codes[text.length] = 0;
  return codes;
}

// One bit per open level (1 = object, 0 = array), indexed by depth from 1; grown for deep texts.
let levels = new Int32Array(64);

function openLevel(depth: number, isObject: boolean): void {
  const word = depth >>> 5;
  if (word >= levels.length) {
    const grown = new Int32Array(levels.length * 2);
    grown.set(levels);
    levels = grown;
  }
  if (isObject) levels[word] |= 1 << (depth & 31);
  else levels[word] &= ~(1 << (depth & 31));
}

function isObjectLevel(depth: number): boolean {
  return (levels[depth >>> 5] & (1 << (depth & 31))) !== 0;
}

/** From the backslash at i to the escape's last character, or -1 when it is not a JSON escape. */
function skipEscape(codes: Uint16Array, i: number): number {
  const c = codes[i + 1];
  if (c === 117 /* u */) {
    // Any four hex digits, a lone surrogate half included: JSON.parse takes those too.
    return isHex(codes[i + 2]) && isHex(codes[i + 3]) && isHex(codes[i + 4]) && isHex(codes[i + 5]) ? i + 5 : -1;
  }
  return c === 34 /* " */ || c === 92 /* \ */ || c === 47 /* / */ || c === 98 /* b */ || c === 102 /* f */
    || c === 110 /* n */ || c === 114 /* r */ || c === 116 /* t */ ? i + 1 : -1;
}

function isHex(c: number): boolean {
  const lower = c | 32; // folds A–F onto a–f
  return (c >= 48 && c <= 57) || (lower >= 97 && lower <= 102);
}
