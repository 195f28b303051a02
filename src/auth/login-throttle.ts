import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { postgresLimiter } from './rate-limit.js';
import type { Storage } from '../storage/database.js';

/** What a login attempt may do: go on and check the password, or wait this many seconds. */
export type LoginAdmission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Slows password guessing. In 15 minutes at most 10 attempts per username+IP, 50 per IP, and
 * 100 per username from all addresses together: the last bounds guessing spread over many
 * addresses, or behind a proxy setting that lets clients choose the address the relay sees, at
 * the price that such a flood can hold one account's logins for up to 15 minutes.
 *
 * An attempt takes its points before the password is checked, and a successful login gives
 * them back. Checking first and counting the failure afterwards let every attempt sent while
 * the first ones were being hashed (scrypt takes tens of milliseconds) through unthrottled.
 *
 * On SQLite the counts are in memory (an SQLite relay is one process, and an attacker gains
 * nothing from a restart they cannot trigger). On PostgreSQL they are in the database, in the
 * API keys' rate-limit table: several instances behind one load balancer would otherwise each
 * allow the full number of guesses, multiplying an attacker's budget by the instance count.
 */
export class LoginThrottle {
  private readonly byUserIp: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;
  private readonly byUser: RateLimiterAbstract;

  constructor(storage?: Pick<Storage, 'pgPool'>) {
    const limiter = (points: number, keyPrefix: string): RateLimiterAbstract =>
      storage?.pgPool ? postgresLimiter(storage, { points, duration: 900, keyPrefix }) : new RateLimiterMemory({ points, duration: 900, keyPrefix });
    this.byUserIp = limiter(10, 'lu');
    this.byIp = limiter(50, 'li');
    this.byUser = limiter(100, 'ln');
  }

  /**
   * Counts an attempt; refused when any of the three limits is already spent. The address is
   * asked first, and an address over its budget touches no per-username counter: each new
   * username would otherwise add two counters kept for 15 minutes, and a flood of made-up
   * usernames from one address grew memory (or rows) without bound.
   */
  async admit(username: string, ip: string): Promise<LoginAdmission> {
    const address = await Promise.allSettled([this.byIp.consume(ip)]);
    if (address[0].status === 'rejected') return admission(address);
    return admission(await Promise.allSettled([this.byUserIp.consume(`${username}|${ip}`), this.byUser.consume(username)]));
  }

  /** A successful login: its attempt stops counting, and so do the user's earlier failures from this address. */
  async succeeded(username: string, ip: string): Promise<void> {
    await Promise.all([this.byUserIp.delete(`${username}|${ip}`), this.byIp.reward(ip, 1), this.byUser.reward(username, 1)]);
  }
}

/** The verdict of the limiters asked: the longest wait among those spent. */
function admission(outcomes: PromiseSettledResult<unknown>[]): LoginAdmission {
  let waitMs = 0;
  for (const o of outcomes) {
    if (o.status === 'fulfilled') continue;
    // A limiter rejects with a RateLimiterRes when points run out; anything else (a bug, the
    // database unreachable) fails the login rather than let it through unthrottled.
    if (!(o.reason instanceof RateLimiterRes)) throw o.reason;
    waitMs = Math.max(waitMs, o.reason.msBeforeNext);
  }
  return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) } : { allowed: true };
}
