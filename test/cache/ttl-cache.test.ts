import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../src/cache/ttl-cache.js';

describe('TtlCache', () => {
  it('loads a missing key once, then answers from memory without a promise until the entry expires', async () => {
    const cache = new TtlCache<string>(1000);
    let loads = 0;
    const load = async () => `value ${++loads}`;
    const first = cache.getOrLoad('k', load, 0);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('value 1');
    expect(cache.getOrLoad('k', load, 999)).toBe('value 1');
    expect(await cache.getOrLoad('k', load, 1000)).toBe('value 2');
    expect(loads).toBe(2);
  });

  it('does not keep a failed load, so the next call tries again', async () => {
    const cache = new TtlCache<string>(1000);
    await expect(cache.getOrLoad('k', async () => Promise.reject(new Error('database down')), 0)).rejects.toThrow('database down');
    expect(await cache.getOrLoad('k', async () => 'recovered', 1)).toBe('recovered');
  });

  it('drops the oldest entry when full, and everything on clear()', async () => {
    const cache = new TtlCache<number>(1000, 2);
    await cache.getOrLoad('a', async () => 1, 0);
    await cache.getOrLoad('b', async () => 2, 0);
    await cache.getOrLoad('c', async () => 3, 0);
    expect(await cache.getOrLoad('a', async () => 10, 0)).toBe(10);
    expect(cache.getOrLoad('c', async () => 30, 0)).toBe(3);
    cache.clear();
    expect(await cache.getOrLoad('c', async () => 30, 0)).toBe(30);
  });

  it('does not keep a value whose load was under way when the cache was cleared or the key deleted', async () => {
    for (const invalidate of [(c: TtlCache<string>) => c.clear(), (c: TtlCache<string>) => c.delete('key')]) {
      const cache = new TtlCache<string>(60_000);
      let answer!: (value: string) => void;
      // The lookup reads the key while it is still active...
      const inFlight = cache.getOrLoad('key', () => new Promise<string>((resolve) => (answer = resolve)), 0);
      // ...then the key is revoked, and the revocation clears the cache, before the read returns.
      invalidate(cache);
      answer('active');
      expect(await inFlight).toBe('active');
      expect(await cache.getOrLoad('key', async () => 'revoked', 1)).toBe('revoked');
    }
  });

  it('shares one load among callers that miss together; a failed one is shared too, and not kept', async () => {
    const cache = new TtlCache<string>(60_000);
    let loads = 0;
    let answer!: (value: string) => void;
    const load = () => {
      loads++;
      return new Promise<string>((resolve) => (answer = resolve));
    };
    const [a, b] = [cache.getOrLoad('k', load, 0), cache.getOrLoad('k', load, 0)];
    answer('value');
    expect([await a, await b, loads]).toEqual(['value', 'value', 1]);

    let fail!: (err: Error) => void;
    const failing = () => new Promise<string>((_, reject) => (fail = reject));
    const [c, d] = [cache.getOrLoad('f', failing, 0), cache.getOrLoad('f', failing, 0)];
    fail(new Error('odoo down'));
    await expect(c).rejects.toThrow('odoo down');
    await expect(d).rejects.toThrow('odoo down');
    expect(await cache.getOrLoad('f', async () => 'recovered', 1)).toBe('recovered');
  });

  it('starts a new load for a caller that arrives after a change; a change to another key leaves a load alone', async () => {
    const cache = new TtlCache<string>(60_000);
    let answers: ((value: string) => void)[] = [];
    const load = () => new Promise<string>((resolve) => answers.push(resolve));
    const before = cache.getOrLoad('key', load, 0);
    cache.delete('key');
    const after = cache.getOrLoad('key', load, 0);
    expect(answers).toHaveLength(2);
    answers[0]!('old row');
    answers[1]!('new row');
    expect([await before, await after]).toEqual(['old row', 'new row']);
    // The overtaken load did not replace the newer one's value.
    expect(await cache.getOrLoad('key', async () => 'loaded again', 1)).toBe('new row');

    answers = [];
    const other = cache.getOrLoad('other', load, 0);
    // What the relay does after each unknown API key: good keys loading meanwhile stay cached.
    cache.delete('unknown');
    answers[0]!('value');
    await other;
    expect(await cache.getOrLoad('other', async () => 'loaded again', 1)).toBe('value');
  });

  it('never caches when the time to live is zero (caching switched off)', async () => {
    const cache = new TtlCache<number>(0);
    let loads = 0;
    await cache.getOrLoad('k', async () => ++loads, 0);
    expect(await cache.getOrLoad('k', async () => ++loads, 0)).toBe(2);
  });
});
