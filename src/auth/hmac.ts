import crypto from 'node:crypto';
import type { HmacSha256Key } from './hmac-key.js';

/**
 * HMAC-SHA256 of the exact raw body bytes, hex — what the seed's Node example
 * (`JSON.stringify(body)`) and Python example (`json.dumps(body, separators=(',', ':'))`) send.
 * The body is never re-serialized: re-encoding would change bytes (key order, unicode escapes).
 *
 * Timestamped variant (opt-in by sending `X-HMAC-Timestamp: <unix seconds>`): the signature
 * covers `<timestamp>.<raw body>`, the timestamp must be within the tolerance, and each
 * signature is accepted once (replay protection is done by the caller with a nonce store).
 *
 * Outside the seed's webhook (the REST API, subscriptions) the body does not say what the
 * request does, so the request line is signed too: `<METHOD> <path?query>\n<raw body>` (after
 * `<timestamp>.` when timestamped). Signing the body alone, one empty-body signature was good for
 * every GET and DELETE.
 */
export function computeHmacHex(secret: string, payload: Buffer | string): string {
  return crypto.createHmac('sha256', secret).update(payload).digest('hex');
}

export type HmacCheck =
  | { ok: true; timestamped: false }
  /** `signature` (lower-case hex) is what the caller records to refuse a replay. */
  | { ok: true; timestamped: true; signature: string }
  | { ok: false; reason: 'missing_signature' | 'malformed_signature' | 'mismatch' | 'stale_timestamp' | 'malformed_timestamp' };

/** Verifies a presented signature in constant time. Pure: the clock is passed in. */
export function verifyHmac(opts: {
  /** The key's secret, prepared once (see HmacSha256Key). */
  key: HmacSha256Key;
  rawBody: Buffer;
  /** `<METHOD> <path?query>\n`, signed before the body; absent for the webhook (the seed signs the body alone). */
  requestLine?: Buffer;
  signatureHeader: string | undefined;
  timestampHeader: string | undefined;
  nowSeconds: number;
  toleranceSeconds: number;
}): HmacCheck {
  const header = opts.signatureHeader?.trim();
  if (!header) return { ok: false, reason: 'missing_signature' };
  // Accept a bare hex digest (the seed) or the common `sha256=<hex>` form; only the prefix is
  // lower-cased, not the whole header, on every call.
  const hex = header.length === 71 && header.slice(0, 7).toLowerCase() === 'sha256=' ? header.slice(7) : header;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'malformed_signature' };

  const signed = opts.requestLine ? [opts.requestLine, opts.rawBody] : [opts.rawBody];
  if (opts.timestampHeader === undefined) {
    return opts.key.matchesHex(hex, ...signed) ? { ok: true, timestamped: false } : { ok: false, reason: 'mismatch' };
  }
  const ts = opts.timestampHeader.trim();
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'malformed_timestamp' };
  if (Math.abs(opts.nowSeconds - Number(ts)) > opts.toleranceSeconds) return { ok: false, reason: 'stale_timestamp' };
  if (!opts.key.matchesHex(hex, Buffer.from(`${ts}.`), ...signed)) return { ok: false, reason: 'mismatch' };
  return { ok: true, timestamped: true, signature: hex.toLowerCase() };
}
