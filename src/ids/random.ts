import crypto from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniformly random base62 string (rejection sampling, so no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A short prefixed identifier for rows (`usr_…`, `key_…`, `con_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(16)}`;
}

/** One-shot crypto.hash (Node 20.12+): a quarter of createHash's cost, and this runs on every call. */
export function sha256Hex(value: string | Buffer): string {
  return crypto.hash('sha256', value, 'hex');
}

/** Constant-time string equality that does not leak length through early exit. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.hash('sha256', a, 'buffer');
  const hb = crypto.hash('sha256', b, 'buffer');
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}
