import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/users.js';
import { pruneExpiredRateLimits } from '../../src/auth/rate-limit.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';

const password = 'a long enough password';

/** Login answers by status, e.g. { 401: 10, 429: 30 }. */
function countStatuses(answers: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

describe('login throttle', () => {
  describe('behind one trusted proxy (TRUST_PROXY=1)', () => {
    let relay: TestRelay;
    beforeAll(async () => {
      relay = await startTestRelay({ env: { TRUST_PROXY: '1' } });
      await createUser(relay.ctx.storage.db, { username: 'carol', password, role: 'user' });
    });
    afterAll(() => relay.close());
    const login = (username: string, pw: string, forwardedFor: string) =>
      relay.post('/api/auth/login', { username, password: pw }, { 'x-forwarded-for': forwardedFor });

    it('checks at most 10 passwords of a burst sent at once; the rest get 429 without a check', async () => {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login('carol', `guess number ${i}`, '198.51.100.1')));
      expect(countStatuses(answers)).toEqual({ 401: 10, 429: 30 });
      const throttled = answers.find((a) => a.status === 429)!;
      expect(throttled.body.code).toBe('too_many_login_attempts');
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('takes the address the proxy appended, not one the client wrote before it', async () => {
      // The client varies the leftmost X-Forwarded-For entry; the trusted hop's entry stays the same.
      const answers = [];
      for (let i = 0; i < 11; i++) answers.push(await login('dave', `guess ${i}`, `203.0.113.${i}, 198.51.100.2`));
      expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(401), 429]);
    });

    it('a successful login clears that user\'s failures from its address', async () => {
      await createUser(relay.ctx.storage.db, { username: 'erin', password, role: 'user' });
      for (let i = 0; i < 9; i++) expect((await login('erin', `guess ${i}`, '198.51.100.3')).status).toBe(401);
      expect((await login('erin', password, '198.51.100.3')).status).toBe(200);
      for (let i = 0; i < 9; i++) expect((await login('erin', `guess ${i}`, '198.51.100.3')).status).toBe(401);
      expect((await login('erin', password, '198.51.100.3')).status).toBe(200);
    });
  });

  describe('with every hop trusted (TRUST_PROXY=true), so clients choose their address', () => {
    let relay: TestRelay;
    beforeAll(async () => {
      relay = await startTestRelay({ env: { TRUST_PROXY: 'true' } });
      await createUser(relay.ctx.storage.db, { username: 'frank', password, role: 'user' });
    });
    afterAll(() => relay.close());

    // 100 scrypt checks by design: more than the default timeout allows on a busy 2-core machine.
    it('still checks at most 100 passwords of one account in 15 minutes, from all addresses together', async () => {
      const answers = [];
      // Bursts of 20, each attempt from an address of its own: no per-address limit applies.
      for (let burst = 0; burst < 6; burst++) {
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              relay.post('/api/auth/login', { username: 'frank', password: `guess ${burst}-${i}` }, { 'x-forwarded-for': `10.${burst}.${i}.1` }),
            ),
          )),
        );
      }
      expect(countStatuses(answers)).toEqual({ 401: 100, 429: 20 });
      // The account's own password is refused too until the window ends: the price of the cap.
      expect((await relay.post('/api/auth/login', { username: 'frank', password }, { 'x-forwarded-for': '10.99.0.1' })).status).toBe(429);
    }, 120_000);
  });

  describe('two relay instances sharing one PostgreSQL database', () => {
    let first: TestRelay;
    let second: TestRelay;
    beforeAll(async () => {
      const databaseUrl = await createTestDatabase();
      first = await startTestRelay({ env: { DATABASE_URL: databaseUrl } });
      second = await startTestRelay({ env: { DATABASE_URL: databaseUrl } });
      await createUser(first.ctx.storage.db, { username: 'grace', password, role: 'user' });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it('share the counts: guesses spread over both instances get ten checks in all, not ten each', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? first : second).post('/api/auth/login', { username: 'grace', password: `guess ${i}` })),
      );
      expect(countStatuses(answers)).toEqual({ 401: 10, 429: 20 });
      expect((await second.post('/api/auth/login', { username: 'grace', password })).status).toBe(429);
    });

    it('prunes counters whose window ended over an hour ago, and keeps the others', async () => {
      const db = first.ctx.storage.db;
      const now = Date.now();
      await db
        .insertInto('rate_limits')
        .values([
          { key: 'lu:old|203.0.113.9', points: 3, expire: now - 2 * 3_600_000 },
          { key: 'lu:recent|203.0.113.9', points: 3, expire: now - 60_000 },
        ])
        .execute();
      await pruneExpiredRateLimits(db, now);
      const keys = (await db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key);
      expect(keys).not.toContain('lu:old|203.0.113.9');
      expect(keys).toContain('lu:recent|203.0.113.9');
      // The live counters of the test above are kept.
      expect(keys.some((k) => k.startsWith('lu:grace|'))).toBe(true);
    });
  });
});

describe('login throttle memory', () => {
  it('an address over its budget adds no per-username counters (made-up usernames cannot grow memory)', async () => {
    const { LoginThrottle } = await import('../../src/auth/login-throttle.js');
    const throttle = new LoginThrottle();
    for (let i = 0; i < 50; i++) expect((await throttle.admit(`made-up-${i}`, '192.0.2.7')).allowed).toBe(true);
    for (let i = 50; i < 80; i++) expect((await throttle.admit(`made-up-${i}`, '192.0.2.7')).allowed).toBe(false);
    const counters = throttle as unknown as Record<'byUser' | 'byUserIp', { get(key: string): Promise<unknown> }>;
    expect(await counters.byUser.get('made-up-49')).not.toBeNull();
    expect(await counters.byUser.get('made-up-50')).toBeNull();
    expect(await counters.byUserIp.get('made-up-79|192.0.2.7')).toBeNull();
    // Another address is not held by this one's budget.
    expect((await throttle.admit('made-up-0', '192.0.2.8')).allowed).toBe(true);
  });
});
