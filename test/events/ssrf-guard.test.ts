import { describe, expect, it } from 'vitest';
import {
  checkAddress,
  checkTargetUrl,
  classifyAddress,
  isSsrfRefusal,
  parseAddress,
  parseCidr,
  SsrfRefusedError,
  type AddressClass,
} from '../../src/events/ssrf-guard.js';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    // IPv4
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'], // cloud metadata service
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:81c::200e', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'ipv4_mapped'],
    ['::ffff:8.8.8.8', 'ipv4_mapped'],
    ['::ffff:7f00:1', 'ipv4_mapped'],
    ['::127.0.0.1', 'ipv4_mapped'],
    ['64:ff9b::10.0.0.1', 'ipv4_translated'],
    ['2002:7f00:1::', 'ipv4_translated'],
    ['2001:0:4136:e378::1', 'ipv4_translated'],
    ['2001:db8::1', 'documentation'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'], // outside 2000::/3, not allocated
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['', 'localhost', '1.2.3', '256.1.1.1', '::g', 'example.com'])('rejects %j', (input) => {
    expect(parseAddress(input)).toBeNull();
    expect(() => classifyAddress(input)).toThrow(RangeError);
  });
});

describe('parseCidr and the allow-list', () => {
  it('parses IPv4, IPv6 and bare addresses', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, network: 0x0a000000n, prefix: 8 });
    expect(parseCidr('127.0.0.1')).toMatchObject({ family: 4, prefix: 32 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, network: 0n, prefix: 0 });
  });

  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/x', 'fd00::/129', 'nonsense/8'])('rejects %s', (cidr) => {
    expect(() => parseCidr(cidr)).toThrow(RangeError);
  });

  it.each<[string, string[], boolean]>([
    ['8.8.8.8', [], true],
    ['127.0.0.1', [], false],
    ['127.0.0.1', ['127.0.0.0/8'], true],
    ['127.0.0.2', ['127.0.0.1/32'], false],
    ['10.1.2.3', ['10.1.2.0/24'], true],
    ['10.1.3.3', ['10.1.2.0/24'], false],
    ['::1', ['127.0.0.0/8'], false], // families never cross
    ['::ffff:127.0.0.1', ['127.0.0.0/8'], false], // mapped form must be allowed explicitly
    ['fd00::5', ['fd00::/8'], true],
  ])('%s with allow %j → %s', (address, allow, allowed) => {
    expect(checkAddress(address, { allow }).allowed).toBe(allowed);
  });
});

describe('checkTargetUrl', () => {
  it.each<[string, RegExp | null]>([
    ['https://n8n.example.com/webhook/abc', null],
    ['http://n8n.example.com:5678/webhook/abc', null],
    ['https://8.8.8.8/hook', null],
    ['ftp://example.com/x', /scheme ftp/],
    ['file:///etc/passwd', /scheme file/],
    ['javascript:alert(1)', /scheme javascript/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://user@example.com/', /credentials/],
    ['not a url', /not a valid URL/],
    ['http://127.0.0.1:8080/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:169.254.169.254]/', /ipv4_mapped/],
    ['http://169.254.169.254/latest/meta-data/', /link_local/],
    ['http://0x7f.0.0.1/', /loopback/], // WHATWG URL normalizes hex/octal forms to 127.0.0.1
    ['http://2130706433/', /loopback/], // decimal form of 127.0.0.1
    ['http://10.0.0.1/', /private/],
  ])('%s', (url, reason) => {
    const verdict = checkTargetUrl(url);
    if (reason === null) expect(verdict).toMatchObject({ ok: true });
    else {
      expect(verdict.ok === false && verdict.reason).toMatch(reason);
      expect(verdict.ok === false && verdict.code).toBe(/scheme|credentials|valid/.test(reason.source) ? 'invalid_url' : 'ssrf_refused');
    }
  });

  it('lets an operator allow a private range', () => {
    expect(checkTargetUrl('http://127.0.0.1:5678/hook', { allow: ['127.0.0.0/8'] }).ok).toBe(true);
  });
});

describe('isSsrfRefusal', () => {
  it('finds the refusal through cause chains', () => {
    const refusal = new SsrfRefusedError('evil.test', '127.0.0.1', 'loopback');
    // The owner of the subscription reads the message: it does not say where the name points.
    expect(refusal.message).toMatch(/^refusing to connect to evil\.test: /);
    expect(refusal.message).not.toMatch(/127\.0\.0\.1|loopback/);
    expect([refusal.address, refusal.addressClass]).toEqual(['127.0.0.1', 'loopback']);
    expect(isSsrfRefusal(refusal)).toBe(true);
    expect(isSsrfRefusal(new TypeError('fetch failed', { cause: refusal }))).toBe(true);
    expect(isSsrfRefusal(new Error('ECONNREFUSED'))).toBe(false);
    expect(isSsrfRefusal(undefined)).toBe(false);
  });
});
