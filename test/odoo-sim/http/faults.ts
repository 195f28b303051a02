/**
 * Fault injection: latency, a fraction of failing calls, dropped connections and full outages.
 * The state lives here; the router asks `nextFailure()` once per protocol call.
 */
export type FailureKind = 'server_error' | 'access_denied' | 'http_500' | 'http_502' | 'garbage';

export interface FaultControls {
  setLatency(ms: number): void;
  setFailureRate(rate: number, error?: FailureKind): void;
  setDropConnections(on: boolean): void;
  setOutage(on: boolean): void;
  reset(): void;
}

export const FAILURE_KINDS: readonly FailureKind[] = ['server_error', 'access_denied', 'http_500', 'http_502', 'garbage'];

export class FaultState {
  latencyMs = 0;
  failureRate = 0;
  failureKind: FailureKind = 'server_error';
  dropConnections = false;
  private calls = 0;

  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('latency must be a non-negative number of ms');
    this.latencyMs = ms;
  }

  setFailureRate(rate: number, kind: FailureKind = 'server_error'): void {
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new RangeError('failure rate must be between 0 and 1');
    if (!FAILURE_KINDS.includes(kind)) throw new RangeError(`unknown failure kind ${kind}`);
    this.failureRate = rate;
    this.failureKind = kind;
    this.calls = 0;
  }

  /**
   * Deterministic rather than random: with rate r, call n fails when floor(n·r) steps up, so
   * exactly r of any run of calls fail and a test at rate 0.5 sees fail/pass alternate.
   */
  nextFailure(): FailureKind | undefined {
    if (this.failureRate <= 0) return undefined;
    const n = ++this.calls;
    const fails = Math.floor(n * this.failureRate) > Math.floor((n - 1) * this.failureRate);
    return fails ? this.failureKind : undefined;
  }

  reset(): void {
    this.latencyMs = 0;
    this.failureRate = 0;
    this.failureKind = 'server_error';
    this.dropConnections = false;
    this.calls = 0;
  }
}
