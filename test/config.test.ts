import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8787);
    expect(c.defaultRateLimit).toBe(100);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
  });

  it('names every wrong variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MASTER_KEY: 'short' })).toThrowError(
      /Invalid environment configuration/,
    );
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MASTER_KEY: 'short' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('DATABASE_URL');
      expect(msg).toContain('MASTER_KEY');
    }
  });

  it('takes only http(s) base URLs without a query or fragment for PUBLIC_URL and EVENTS_INGEST_URL (other URLs are built on them)', () => {
    for (const [name, value, problem] of [
      ['PUBLIC_URL', 'javascript:alert(1)', 'must be an http:// or https:// URL'],
      ['PUBLIC_URL', 'ftp://relay.example.com', 'must be an http:// or https:// URL'],
      ['PUBLIC_URL', 'https://relay.example.com/?q=1', 'must have no ?query or #fragment'],
      ['EVENTS_INGEST_URL', 'https://relay.example.com/#frag', 'must have no ?query or #fragment'],
      // Not a URL at all: named like the others, not a TypeError from a refinement.
      ['PUBLIC_URL', 'notaurl', 'must be an http:// or https:// URL'],
      ['EVENTS_INGEST_URL', 'x', 'must be an http:// or https:// URL'],
      ['PUBLIC_URL', 'https://user:secret@relay.example.com/', 'must not contain a user name or password'],
    ]) {
      expect(() => loadConfig({ [name!]: value }), value).toThrowError(new RegExp(`${name}: ${problem!.replace(/[?#]/g, '\\$&')}`));
    }
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/relay/' }).publicUrl).toBe('https://example.com/relay/');
  });

  it('refuses a DATABASE_URL the driver could not parse, a chat URL that is not http(s) and retry delays out of range, naming each', () => {
    for (const [name, value, problem] of [
      ['DATABASE_URL', 'postgres://relay:Sekr3t/Xyz@127.0.0.1:5432/relay', 'is not a valid URL: percent-encode'],
      ['DATABASE_URL', 'postgres://relay:ab#cd@127.0.0.1:5432/relay', 'is not a valid URL'],
      ['DATABASE_URL', 'postgres://relay@127.0.0.1:99999/relay', 'is not a valid URL'],
      // Digits before the / read as a port: it parses, with the rest of the password in the path.
      ['DATABASE_URL', 'postgres://relay:2024/secret@127.0.0.1:5432/relay', 'is not a valid URL'],
      ['DATABASE_URL', 'postgres://relay:99#x@127.0.0.1:5432/relay', 'is not a valid URL'],
      ['CHAT_BASE_URL', 'file:///etc/passwd', 'must be an http:// or https:// URL'],
      ['EVENTS_RETRY_DELAYS_MS', '5000,0', 'each delay must be from 1 ms to 7 days'],
      ['EVENTS_RETRY_DELAYS_MS', '99999999999999999999', 'each delay must be from 1 ms to 7 days'],
    ]) {
      expect(() => loadConfig({ [name!]: value }), value).toThrowError(`${name}: ${problem}`);
      // The value is not echoed: a DATABASE_URL holds a password.
      expect(() => loadConfig({ [name!]: value })).not.toThrowError(value!);
    }
    expect(loadConfig({ DATABASE_URL: 'postgres://relay:Sekr3t%2FXyz@127.0.0.1:5432/relay' }).databaseUrl).toContain('%2F');
    expect(loadConfig({}).odooMaxResponseBytes).toBe(50 * 1024 * 1024);
    expect(loadConfig({ ODOO_MAX_RESPONSE_BYTES: '2097152' }).odooMaxResponseBytes).toBe(2097152);
    expect(() => loadConfig({ ODOO_MAX_RESPONSE_BYTES: '1000' })).toThrowError(/ODOO_MAX_RESPONSE_BYTES/);
  });

  it('reads TRUST_PROXY as a switch, a hop count or the proxies\' addresses, and names a wrong entry', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'no' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 172.16.0.0/12,loopback,::1' }).trustProxy).toEqual(['10.0.0.5', '172.16.0.0/12', 'loopback', '::1']);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', ',']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrowError(/TRUST_PROXY: must be true, false, a hop count/);
    }
  });
});

describe('number variables', () => {
  const message = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(env)}`);
  };

  it('are plain decimal digits', () => {
    expect(loadConfig({ PORT: '8080' }).port).toBe(8080);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '08080' }).port).toBe(8080);
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '0', AUTH_CACHE_SECONDS: '0' })).toMatchObject({ shutdownGraceMs: 0, authCacheSeconds: 0 });
  });

  // Number(' ') is 0, Number('1e3') 1000, Number('0x50') 80: none of them is what the operator wrote.
  it.each(['1e3', '0x50', '80.0', '+80', '-1', ' 80', '80 ', '8O80', 'Infinity', '0b101'])('refuses PORT=%j, naming the variable', (value) => {
    expect(message({ PORT: value })).toMatch(/^ {2}PORT: must be a whole number in decimal digits/m);
  });

  it.each(['PORT', 'SHUTDOWN_GRACE_MS', 'AUTH_CACHE_SECONDS', 'ODOO_MAX_QUEUE'])('refuses a blank %s instead of reading it as 0 or a random port', (name) => {
    expect(message({ [name]: ' ' })).toMatch(new RegExp(`^ {2}${name}: is blank`, 'm'));
    expect(message({ [name]: '\t\n' })).toMatch(new RegExp(`^ {2}${name}: is blank`, 'm'));
  });

  it('still treats an empty value as unset (the default applies)', () => {
    expect(loadConfig({ PORT: '', SHUTDOWN_GRACE_MS: '' })).toMatchObject({ port: 8787, shutdownGraceMs: 10_000 });
  });

  it('keeps the range checks, naming the variable', () => {
    expect(message({ PORT: '65536' })).toMatch(/^ {2}PORT: .*65535/m);
    expect(message({ AUTH_CACHE_SECONDS: '301' })).toMatch(/^ {2}AUTH_CACHE_SECONDS: .*300/m);
    expect(message({ PORT: '99999999999999999999999' })).toMatch(/^ {2}PORT: .*65535/m);
  });
});
