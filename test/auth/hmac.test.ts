import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { computeHmacHex, verifyHmac } from '../../src/auth/hmac.js';
import { HmacSha256Key } from '../../src/auth/hmac-key.js';

const secret = 'hmac_testsecret0123456789';
const requestBody = {
  action: 'execute_method',
  model: 'res.partner',
  method: 'search_read',
  args: [[['is_company', '=', true]]],
  kwargs: { fields: ['name', 'email'], limit: 10 },
};

function check(rawBody: Buffer, signatureHeader?: string, timestampHeader?: string, nowSeconds = 1_700_000_000) {
  return verifyHmac({ key: new HmacSha256Key(secret), rawBody, signatureHeader, timestampHeader, nowSeconds, toleranceSeconds: 300 });
}

describe('HMAC verification over the raw body', () => {
  it("accepts the seed's Node example (JSON.stringify + hex HMAC-SHA256)", () => {
    const bodyString = JSON.stringify(requestBody);
    const signature = crypto.createHmac('sha256', secret).update(bodyString).digest('hex');
    expect(check(Buffer.from(bodyString), signature)).toMatchObject({ ok: true, timestamped: false });
  });

  it("accepts the seed's Python example (json.dumps separators=(',', ':'))", () => {
    const script = [
      'import hmac, hashlib, json, sys',
      'request_body = {"action": "execute_method", "model": "res.partner", "method": "search_read",',
      '  "args": [[["is_company", "=", True]]], "kwargs": {"fields": ["name", "email"], "limit": 10}}',
      `body_string = json.dumps(request_body, separators=(',', ':'))`,
      `signature = hmac.new("${secret}".encode('utf-8'), body_string.encode('utf-8'), hashlib.sha256).hexdigest()`,
      'sys.stdout.write(body_string + "\\n" + signature)',
    ].join('\n');
    const [bodyString, signature] = execFileSync('python3', ['-c', script], { encoding: 'utf8' }).split('\n');
    // Python's compact dump equals JavaScript's JSON.stringify for this body, byte for byte.
    expect(bodyString).toBe(JSON.stringify(requestBody));
    expect(check(Buffer.from(bodyString!), signature)).toMatchObject({ ok: true });
  });

  it('verifies the exact bytes, not a re-serialization (whitespace and key order matter)', () => {
    const pretty = Buffer.from(JSON.stringify(requestBody, null, 2));
    const compactSig = computeHmacHex(secret, JSON.stringify(requestBody));
    expect(check(pretty, compactSig)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(pretty, computeHmacHex(secret, pretty))).toMatchObject({ ok: true });
  });

  it('accepts the sha256= prefix and upper-case hex', () => {
    const raw = Buffer.from('{"action":"get_config"}');
    const sig = computeHmacHex(secret, raw);
    expect(check(raw, `sha256=${sig}`).ok).toBe(true);
    expect(check(raw, sig.toUpperCase()).ok).toBe(true);
  });

  it('refuses missing, malformed and wrong signatures with distinct reasons', () => {
    const raw = Buffer.from('{"action":"get_config"}');
    expect(check(raw, undefined)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(check(raw, 'zz')).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(check(raw, computeHmacHex('other-secret', raw))).toEqual({ ok: false, reason: 'mismatch' });
    const tampered = Buffer.from('{"action":"test_connection"}');
    expect(check(tampered, computeHmacHex(secret, raw))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('timestamped variant signs "<ts>.<body>" and refuses stale timestamps', () => {
    const raw = Buffer.from('{"action":"get_config"}');
    const ts = '1700000000';
    const sig = computeHmacHex(secret, `${ts}.${raw}`);
    expect(check(raw, sig, ts)).toMatchObject({ ok: true, timestamped: true, signature: sig });
    expect(check(raw, sig, ts, 1_700_000_000 + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(check(raw, sig, 'yesterday')).toEqual({ ok: false, reason: 'malformed_timestamp' });
    // The plain signature does not pass as a timestamped one.
    expect(check(raw, computeHmacHex(secret, raw), ts)).toEqual({ ok: false, reason: 'mismatch' });
  });
});
