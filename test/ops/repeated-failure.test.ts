import { describe, expect, it } from 'vitest';
import { RepeatedFailureLog } from '../../src/ops/repeated-failure.js';
import { captureLog } from '../helpers/log-capture.js';

describe('RepeatedFailureLog', () => {
  it('logs the first failure in full, then one line a minute while it lasts, then the recovery', async () => {
    const log = captureLog();
    let now = 1_000_000;
    const failures = new RepeatedFailureLog(log.logger, 'claiming deliveries', 60_000, () => now);
    const bug = new TypeError('boom');
    failures.failed(bug);
    for (let i = 0; i < 200; i++) {
      now += 250;
      failures.failed(bug);
    }
    now += 10_000;
    failures.failed(bug);
    failures.succeeded();
    failures.succeeded();
    await new Promise((r) => setImmediate(r));
    const entries = log.lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.level, e.msg, e.failures])).toEqual([
      [50, 'claiming deliveries failed', undefined],
      [50, 'claiming deliveries still failing', 202],
      [30, 'claiming deliveries works again', 202],
    ]);
    expect(entries[0].err.stack).toContain('TypeError: boom');
  });

  it('gives the database being away as its reason, without a stack', async () => {
    const log = captureLog();
    const failures = new RepeatedFailureLog(log.logger, 'poller tick');
    failures.failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    await new Promise((r) => setImmediate(r));
    const [entry] = log.lines.map((l) => JSON.parse(l));
    expect(entry).toMatchObject({ msg: 'poller tick failed', reason: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(entry.err).toBeUndefined();
  });
});
