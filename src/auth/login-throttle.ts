import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Slows password guessing: at most 10 failed logins per username+IP and 50 per IP in
 * 15 minutes. In memory: an attacker gains nothing from a restart they cannot trigger.
 */
export class LoginThrottle {
  private readonly byUserIp = new RateLimiterMemory({ points: 10, duration: 900, keyPrefix: 'lu' });
  private readonly byIp = new RateLimiterMemory({ points: 50, duration: 900, keyPrefix: 'li' });

  /** Seconds to wait before another attempt is allowed, or 0. */
  async blockedFor(username: string, ip: string): Promise<number> {
    const [u, i] = await Promise.all([this.byUserIp.get(`${username}|${ip}`), this.byIp.get(ip)]);
    const blocked = [u && u.consumedPoints >= 10 ? u : null, i && i.consumedPoints >= 50 ? i : null].filter(
      (r): r is RateLimiterRes => r !== null,
    );
    return blocked.length ? Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000) : 0;
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.byUserIp.penalty(`${username}|${ip}`, 1),
      this.byIp.penalty(ip, 1),
    ]);
  }

  async recordSuccess(username: string, ip: string): Promise<void> {
    await this.byUserIp.delete(`${username}|${ip}`);
  }
}
