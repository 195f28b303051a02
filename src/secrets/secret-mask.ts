/**
 * Masks secrets in a text another party wrote, where they may come back in another form: a
 * webhook receiver echoing a subscription's custom header values and signing secret into the
 * delivery log (httpbin's /anything, debug endpoints, error pages quoting the Authorization they
 * refused), or fetch quoting an LLM provider's key in an error the relay logs.
 */

const MASK = '[redacted]';
/** Shorter values would mask ordinary text, and say little of a secret. */
const MIN_MASKED_LENGTH = 4;
/** A part of a value (the token of `Bearer <token>`) is masked on its own from this length. */
const MIN_PART_LENGTH = 8;

/** Returns a function that masks every given secret in a text, whole, escaped or cut at the end. */
export function secretMask(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    const whole = secret.trim();
    if (whole.length < MIN_MASKED_LENGTH) continue;
    const parts = whole.split(/\s+/).filter((p) => p.length >= MIN_PART_LENGTH);
    // A signing secret's key may be configured at the receiver without its `whsec_` prefix.
    if (whole.startsWith('whsec_')) parts.push(whole.slice('whsec_'.length));
    for (const value of [whole, ...parts]) {
      // As sent, as a JSON echo writes it, and as a URL (a redirect's query) carries it.
      for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) forms.add(form);
    }
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let masked = text;
    for (const form of ordered) if (masked.includes(form)) masked = masked.split(form).join(MASK);
    return maskCutTail(masked, ordered);
  };
}

/**
 * The stored body is the first 1 KiB, a logged header the first 512 characters: a secret that
 * straddles the cut ends the text with its own beginning, which a whole match never finds.
 */
function maskCutTail(text: string, forms: readonly string[]): string {
  let cut = text.length;
  for (const form of forms) {
    // The earliest start in the tail whose rest of the text begins the form is the longest cut piece.
    const from = Math.max(0, text.length - form.length + 1);
    for (let i = text.indexOf(form[0]!, from); i !== -1 && i <= text.length - MIN_MASKED_LENGTH; i = text.indexOf(form[0]!, i + 1)) {
      if (i < cut && form.startsWith(text.slice(i))) cut = i;
      if (i >= cut) break;
    }
  }
  return cut < text.length ? text.slice(0, cut) + MASK : text;
}
