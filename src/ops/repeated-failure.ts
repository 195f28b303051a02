import type { Logger } from 'pino';
import { isStorageUnavailable, unavailableReason } from '../storage/unavailable.js';

/**
 * The log of a background step that runs every few hundred milliseconds and may fail for a
 * while (the database down for a minute): the first failure in full, then one line a minute
 * saying it still fails and how often, then one line when it works again. Logged at every
 * turn, a PostgreSQL restart filled the log with five stack traces a second.
 */
export class RepeatedFailureLog {
  private failures = 0;
  private lastLoggedAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly everyMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  failed(err: unknown): void {
    this.failures++;
    const now = this.clock();
    if (this.failures > 1 && now - this.lastLoggedAt < this.everyMs) return;
    this.lastLoggedAt = now;
    // The database being away is the operator's to fix, not a bug: its message, no stack.
    const detail = isStorageUnavailable(err) ? { reason: unavailableReason(err) } : { err };
    if (this.failures === 1) this.logger.error(detail, `${this.what} failed`);
    else this.logger.error({ ...detail, failures: this.failures }, `${this.what} still failing`);
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.logger.info({ failures: this.failures }, `${this.what} works again`);
    this.failures = 0;
    this.lastLoggedAt = 0;
  }
}
