/**
 * Nesting depth of a JSON text, counted on the raw characters before parsing, so a hostile
 * `[[[[…` body is refused without building it (and without recursing anywhere later).
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Nesting deeper than maxDepth needs more than maxDepth opening brackets. Counting them with
  // indexOf (a native scan) settles nearly every real body at a fraction of the cost of the
  // character loop below (bench:instructions: ~5k instructions per webhook call, most of this
  // check's cost); only a body with that many brackets, quoted ones included, gets the loop.
  if (!hasMoreThan(text, '[', '{', maxDepth)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Whether text holds more than `limit` occurrences of the two characters together. */
function hasMoreThan(text: string, a: string, b: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf(a); i !== -1; i = text.indexOf(a, i + 1)) if (++count > limit) return true;
  for (let i = text.indexOf(b); i !== -1; i = text.indexOf(b, i + 1)) if (++count > limit) return true;
  return false;
}
