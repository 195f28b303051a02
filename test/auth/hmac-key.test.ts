import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { HmacSha256Key } from '../../src/auth/hmac-key.js';

describe('HmacSha256Key (HMAC-SHA256 over pads prepared once)', () => {
  it("gives RFC 4231's HMAC-SHA256 test vectors", () => {
    // RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
    expect(new HmacSha256Key(Buffer.alloc(20, 0x0b)).hexDigest(Buffer.from('Hi There'))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    expect(new HmacSha256Key('Jefe').hexDigest(Buffer.from('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('equals crypto.createHmac for keys shorter than, equal to and longer than the 64-byte block, and any message', () => {
    for (const keyLength of [0, 1, 20, 32, 63, 64, 65, 131, 200]) {
      for (const messageLength of [0, 1, 55, 56, 64, 150, 1000, 70_000]) {
        const key = crypto.randomBytes(keyLength);
        const message = crypto.randomBytes(messageLength);
        const expected = crypto.createHmac('sha256', key).update(message).digest('hex');
        expect(new HmacSha256Key(key).hexDigest(message), `key ${keyLength} B, message ${messageLength} B`).toBe(expected);
      }
    }
  });

  it('treats a text secret as its UTF-8 bytes and signs the concatenation of several parts', () => {
    const secret = 'clé secrète ✓';
    const key = new HmacSha256Key(secret);
    const expected = crypto.createHmac('sha256', secret).update('1700000000.{"a":1}').digest('hex');
    expect(key.hexDigest(Buffer.from('1700000000.'), Buffer.from('{"a":1}'))).toBe(expected);
    // One prepared key signs many messages: the pads are not consumed.
    expect(key.hexDigest(Buffer.from('1700000000.{"a":1}'))).toBe(expected);
  });

  it('matches a presented hex MAC in either case and refuses any other', () => {
    const key = new HmacSha256Key('s3cret');
    const message = Buffer.from('{"action":"get_config"}');
    const mac = crypto.createHmac('sha256', 's3cret').update(message).digest('hex');
    expect(key.matchesHex(mac, message)).toBe(true);
    expect(key.matchesHex(mac.toUpperCase(), message)).toBe(true);
    expect(key.matchesHex(mac, Buffer.from('{"action":"test_connection"}'))).toBe(false);
    const flipped = (mac[0] === '0' ? '1' : '0') + mac.slice(1);
    expect(key.matchesHex(flipped, message)).toBe(false);
    // Not hex: nothing decodes, nothing matches (the caller refuses the form before asking).
    expect(key.matchesHex('z'.repeat(64), message)).toBe(false);
  });

  it('keeps keys and messages apart across calls that share its working buffers', () => {
    // Alternating keys and shrinking messages: a leftover pad or a longer earlier message in
    // the shared scratch would change the result.
    const keys = ['first key', 'second, longer key with more bytes than the first'].map((s) => ({ s, key: new HmacSha256Key(s) }));
    for (const length of [5000, 70_000, 3, 1500, 0, 64]) {
      for (const { s, key } of keys) {
        const message = crypto.randomBytes(length);
        expect(key.hexDigest(message), `${length} B`).toBe(crypto.createHmac('sha256', s).update(message).digest('hex'));
      }
    }
  });
});
