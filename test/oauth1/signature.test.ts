import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import OAuth from 'oauth-1.0a';
import {
  baseStringUri,
  normalizeParameters,
  parseAuthorizationHeader,
  parseFormPairs,
  percentEncode,
  queryOf,
  sign,
  signatureBaseString,
  signatureMatches,
  signatureMethodOf,
  type ParamPairs,
} from '../../src/oauth1/signature.js';
import { RelayError } from '../../src/errors/index.js';

function refusal(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('percentEncode (RFC 5849 §3.6)', () => {
  it.each([
    ['abcABC123-._~', 'abcABC123-._~'],
    [' ', '%20'],
    ['+', '%2B'],
    ['=', '%3D'],
    ['%', '%25'],
    ["!*'()", '%21%2A%27%28%29'],
    ['/?&#', '%2F%3F%26%23'],
    ['é', '%C3%A9'],
    ['€', '%E2%82%AC'],
    ['😀', '%F0%9F%98%80'],
  ])('%j → %s', (input, encoded) => {
    expect(percentEncode(input)).toBe(encoded);
  });

  it('refuses a lone surrogate (not UTF-8)', () => {
    expect(refusal(() => percentEncode('\ud800')).code).toBe('oauth1_bad_request');
  });
});

describe('baseStringUri (RFC 5849 §3.4.1.2)', () => {
  it.each([
    ['http://EXAMPLE.COM:80/r%20v/X?id=123', 'http://example.com/r%20v/X'],
    ['https://www.example.net:8080/?q=1', 'https://www.example.net:8080/'],
    ['https://Relay.Example.com:443/api/v1/subscriptions?limit=5', 'https://relay.example.com/api/v1/subscriptions'],
    ['HTTP://127.0.0.1:8787/api/n8n/webhook', 'http://127.0.0.1:8787/api/n8n/webhook'],
    ['https://example.com', 'https://example.com/'],
    ['http://example.com:443/a', 'http://example.com:443/a'],
    ['https://example.com/a%2Fb/c#frag', 'https://example.com/a%2Fb/c'],
  ])('%s → %s', (url, expected) => {
    expect(baseStringUri(url)).toBe(expected);
  });

  it('refuses a relative URL', () => {
    expect(refusal(() => baseStringUri('/request')).code).toBe('oauth1_bad_request');
  });

  it('takes the query out with queryOf', () => {
    expect(queryOf('https://e.com/p?a=1&b=2#x')).toBe('a=1&b=2');
    expect(queryOf('https://e.com/p')).toBe('');
  });
});

describe('parseFormPairs (query and form bodies)', () => {
  it.each<[string, ParamPairs]>([
    ['b5=%3D%253D&a3=a&c%40=&a2=r%20b', [['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b']]],
    ['c2&a3=2+q', [['c2', ''], ['a3', '2 q']]],
    ['a=1&a=2&&b=', [['a', '1'], ['a', '2'], ['b', '']]],
    ['', []],
    ['x=%E2%82%AC', [['x', '€']]],
    ['eq=a=b', [['eq', 'a=b']]],
  ])('%j', (text, pairs) => {
    expect(parseFormPairs(text)).toEqual(pairs);
  });

  it('refuses malformed percent-encoding', () => {
    expect(refusal(() => parseFormPairs('a=%ZZ')).code).toBe('oauth1_bad_request');
  });
});

describe('parseAuthorizationHeader (RFC 5849 §3.5.1)', () => {
  it("parses the RFC's example with realm and line breaks", () => {
    const h = parseAuthorizationHeader(
      'OAuth realm="Example",\r\n  oauth_consumer_key="9djdj82h48djs9d2",\r\n  oauth_token="kkk9d7dh3k39sjv7",\r\n  oauth_signature_method="HMAC-SHA1",\r\n' +
        '  oauth_timestamp="137131201",\r\n  oauth_nonce="7d8f3e4a",\r\n  oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
    );
    expect(h.realm).toBe('Example');
    expect(Object.fromEntries(h.params)).toEqual({
      oauth_consumer_key: '9djdj82h48djs9d2',
      oauth_token: 'kkk9d7dh3k39sjv7',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131201',
      oauth_nonce: '7d8f3e4a',
      oauth_signature: 'bYT5CMsGcbgUdFHObYMEfcx6bsw=',
    });
  });

  it.each([
    ['oauth (lower-case scheme), no spaces after commas', 'oauth a="1",b="2"', { a: '1', b: '2' }],
    ['percent-decoded names and values', 'OAuth oauth_callback="http%3A%2F%2Flocalhost%3A9%2Fcb%3Fx%3D1"', { oauth_callback: 'http://localhost:9/cb?x=1' }],
    ['empty value', 'OAuth oauth_token=""', { oauth_token: '' }],
    ['trailing comma', 'OAuth a="1", ', { a: '1' }],
    ['no parameters', 'OAuth', {}],
  ])('%s', (_label, header, params) => {
    expect(Object.fromEntries(parseAuthorizationHeader(header).params)).toEqual(params);
  });

  it.each([
    ['a duplicate parameter', 'OAuth oauth_nonce="a", oauth_nonce="b"'],
    ['a duplicate realm', 'OAuth realm="a", realm="b"'],
    ['an unquoted value', 'OAuth oauth_nonce=abc'],
    ['a missing comma', 'OAuth a="1" b="2"'],
    ['another scheme', 'Bearer abc'],
    ['malformed percent-encoding', 'OAuth oauth_nonce="%E2%82"'],
    ['garbage after the list', 'OAuth a="1", junk'],
  ])('refuses %s', (_label, header) => {
    expect(refusal(() => parseAuthorizationHeader(header)).code).toBe('oauth1_bad_request');
  });
});

describe('normalized parameters and base string (RFC 5849 §3.4.1)', () => {
  it("reproduces the RFC's §3.4.1.1 example base string", () => {
    // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b, body c2&a3=2+q, header parameters without signature and realm.
    const pairs: ParamPairs = [
      ...parseFormPairs('b5=%3D%253D&a3=a&c%40=&a2=r%20b'),
      ...parseFormPairs('c2&a3=2+q'),
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
    ];
    expect(normalizeParameters(pairs)).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
    );
    expect(signatureBaseString('post', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', pairs)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('sorts by encoded name, then encoded value (byte order)', () => {
    expect(normalizeParameters([['b', '2'], ['a', 'z'], ['a', 'B'], ['a', 'a'], ['A', '1'], ['a_', ''], ['a-', '']])).toBe('A=1&a=B&a=a&a=z&a-=&a_=&b=2');
  });

  it("matches OAuth Core 1.0's Appendix A.5 HMAC-SHA1 example signature", () => {
    const pairs: ParamPairs = [
      ['file', 'vacation.jpg'],
      ['size', 'original'],
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1191242096'],
      ['oauth_nonce', 'kllo9940pd9333jh'],
      ['oauth_version', '1.0'],
    ];
    const base = signatureBaseString('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original', pairs);
    expect(base).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(sign('HMAC-SHA1', base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });

  it('HMAC-SHA256 keys the MAC with enc(consumer secret)&enc(token secret)', () => {
    const base = 'GET&https%3A%2F%2Fe.com%2F&a%3D1';
    const expected = crypto.createHmac('sha256', 'c%20s&t%26s').update(base).digest('base64');
    expect(sign('HMAC-SHA256', base, 'c s', 't&s')).toBe(expected);
    // Two-legged: the token secret is empty but the ampersand stays.
    expect(sign('HMAC-SHA1', base, 'cs')).toBe(crypto.createHmac('sha1', 'cs&').update(base).digest('base64'));
  });

  it('agrees with the oauth-1.0a client library on query, form and oauth parameters', () => {
    for (const method of ['HMAC-SHA1', 'HMAC-SHA256'] as const) {
      const oauth = new OAuth({
        consumer: { key: 'ck_test', secret: 'secret with spaces & symbols!' },
        signature_method: method,
        hash_function: (base, key) => crypto.createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(base).digest('base64'),
      });
      const url = 'https://relay.example.com/api/v1/subscriptions?limit=5&status=fa%20iled&name=%C3%A9t%C3%A9';
      const data = { note: "it's (50%) off*", empty: '' };
      // The library merges query parameters into the objects it is given, so it gets copies.
      const signed = oauth.authorize({ url, method: 'POST', data: { ...data } }, { key: 'tok', secret: 'tok secret' });
      const pairs: ParamPairs = [...parseFormPairs(queryOf(url)), ...Object.entries(data)];
      for (const [n, v] of Object.entries(signed)) if (n.startsWith('oauth_') && n !== 'oauth_signature') pairs.push([n, String(v)]);
      const base = signatureBaseString('POST', url, pairs);
      expect(signatureMatches(sign(method, base, 'secret with spaces & symbols!', 'tok secret'), signed.oauth_signature)).toBe(true);
      expect(signatureMatches(sign(method, base, 'another secret', 'tok secret'), signed.oauth_signature)).toBe(false);
    }
  });
});

describe('signatureMethodOf', () => {
  it('accepts HMAC-SHA1 and HMAC-SHA256', () => {
    expect(signatureMethodOf('HMAC-SHA1')).toBe('HMAC-SHA1');
    expect(signatureMethodOf('HMAC-SHA256')).toBe('HMAC-SHA256');
  });

  it.each([
    ['PLAINTEXT', /PLAINTEXT sends the secrets/],
    ['RSA-SHA1', /RSA-SHA1 needs a registered public key/],
    ['hmac-sha1', /not a signature method/],
  ])('refuses %s with a clear reason', (method, why) => {
    const err = refusal(() => signatureMethodOf(method));
    expect(err.code).toBe('oauth1_unsupported_signature_method');
    expect(err.message).toMatch(why);
    expect(err.details).toMatchObject({ supported: ['HMAC-SHA1', 'HMAC-SHA256'] });
  });

  it('requires a method', () => {
    expect(refusal(() => signatureMethodOf(undefined)).code).toBe('oauth1_bad_request');
  });
});
