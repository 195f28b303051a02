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
});
