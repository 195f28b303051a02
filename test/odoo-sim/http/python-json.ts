/**
 * `json.dumps` with Python's defaults (separators ", " and ": ", ensure_ascii=True): the exact
 * bytes `requests.post(url, json=body)` puts on the wire, so Content-Length matches real Odoo.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('Out of range float values are not JSON compliant');
    return String(value);
  }
  if (typeof value === 'string') return asciiString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${asciiString(k)}: ${pythonJsonDumps(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return asciiString(String(value));
}

function asciiString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters like Python does;
  // Python additionally escapes every non-ASCII code unit as \uXXXX (surrogates stay pairs).
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
