/**
 * Compares a response body with a recorded one by SHAPE, for the conformance test.
 *
 * Normalisation (why each rule exists):
 * - Scalars compare by JSON type only (ids, timestamps, names and counts depend on the data),
 *   except protocol constants (jsonrpc, versions, faultCode) and error identities (name,
 *   message, arguments of a serialized exception; code and message of a JSON-RPC error).
 * - `false` matches any type: Odoo sends False for every unset field (char, date, many2one).
 * - Objects must have exactly the same keys, except maps keyed by record ids ({"1": …}), whose
 *   values are compared with the recorded first value (the ids depend on the data).
 * - Arrays must have the same length unless listed as record lists (`lengthFree`); their items
 *   are compared with the recorded item at the same index, or the last one.
 * - `debug` (a Python traceback) compares only its last line: the exception and its message.
 */
const EXACT_ANYWHERE = new Set(['jsonrpc', 'faultCode', 'server_version', 'server_version_info', 'server_serie', 'protocol_version', 'version', 'version_info']);
/** In a serialized exception (it has `debug`) and in a JSON-RPC error (it has `data`). */
const EXACT_IN_ERROR = new Set(['name', 'message', 'arguments']);
const EXACT_IN_RPC_ERROR = new Set(['code', 'message']);

function isExact(key: string, parent: unknown): boolean {
  if (EXACT_ANYWHERE.has(key)) return true;
  if (typeof parent !== 'object' || parent === null) return false;
  if ('debug' in parent && EXACT_IN_ERROR.has(key)) return true;
  return 'data' in parent && 'code' in parent && EXACT_IN_RPC_ERROR.has(key);
}

export interface ShapeOptions {
  /** Paths (like `$.result`) whose array length depends on the data. */
  lengthFree?: string[];
  /** Paths whose value is compared by type only even though the key is in EXACT_KEYS. */
  loose?: string[];
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function lastLine(traceback: string): string {
  const lines = traceback.trimEnd().split('\n');
  // A multi-line message (MissingError) spans several final lines: keep from the exception line on.
  let idx = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^[A-Za-z_][\w.]*(Error|Exception|Denied|Unauthorized|NotFound|Warning)\b/.test(lines[i])) {
      idx = i;
      break;
    }
  }
  return lines.slice(idx < 0 ? -1 : idx).join('\n');
}

export function shapeDiff(expected: unknown, actual: unknown, options: ShapeOptions = {}, path = '$', key = '', parent?: unknown): string[] {
  const exact = isExact(key, parent) && !options.loose?.includes(path);
  const te = typeOf(expected);
  const ta = typeOf(actual);
  if (expected === false || actual === false) {
    if (te !== ta && (expected === false || actual === false)) return [];
  }
  if (te !== ta) return [`${path}: expected ${te} ${JSON.stringify(expected)?.slice(0, 80)}, got ${ta} ${JSON.stringify(actual)?.slice(0, 80)}`];
  if (key === 'debug' && typeof expected === 'string') {
    const e = lastLine(expected);
    const a = lastLine(actual as string);
    return e === a ? [] : [`${path}: traceback ends ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`];
  }
  if (te === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    const out: string[] = [];
    if (e.length !== a.length && !options.lengthFree?.includes(path)) out.push(`${path}: expected ${e.length} items, got ${a.length}`);
    if (exact) {
      if (JSON.stringify(e) !== JSON.stringify(a)) out.push(`${path}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
      return out;
    }
    if (e.length === 0) return out;
    a.forEach((item, i) => out.push(...shapeDiff(e[Math.min(i, e.length - 1)], item, options, `${path}[${i}]`)));
    return out;
  }
  if (te === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const ek = Object.keys(e);
    const ak = Object.keys(a);
    const idMap = (keys: string[]) => keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
    if (idMap(ek) && (idMap(ak) || ak.length === 0)) {
      return ak.flatMap((k) => shapeDiff(e[ek[0]], a[k], options, `${path}.${k}`));
    }
    const out: string[] = [];
    const missing = ek.filter((k) => !(k in a));
    const extra = ak.filter((k) => !(k in e));
    if (missing.length) out.push(`${path}: missing keys ${missing.join(', ')}`);
    if (extra.length) out.push(`${path}: unexpected keys ${extra.join(', ')}`);
    for (const k of ek) if (k in a) out.push(...shapeDiff(e[k], a[k], options, `${path}.${k}`, k, e));
    return out;
  }
  if (exact && expected !== actual) {
    return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  }
  return [];
}
