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
