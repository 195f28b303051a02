import { describe, expect, it } from 'vitest';
import { streakChanges, type StreakOutcome } from '../../src/events/failure-streak.js';

type Item = { subscriptionId: string; n: number; outcome?: StreakOutcome };
const item = (subscriptionId: string, n: number, outcome?: StreakOutcome): Item => ({ subscriptionId, n, outcome });
const changes = (batch: Item[]) =>
  Object.fromEntries([...streakChanges(batch, (i) => i.outcome)].map(([id, c]) => [id, { reset: c.reset, failures: c.failures.map((f) => f.n) }]));

describe('streakChanges', () => {
  it('lets a success wipe the failures that finished before it', () => {
    expect(changes([item('a', 1, 'failure'), item('a', 2, 'failure'), item('a', 3, 'failure'), item('a', 4, 'failure'), item('a', 5, 'success')])).toEqual({
      a: { reset: true, failures: [] },
    });
  });

  it('keeps counting the failures after the last success, in order', () => {
    expect(changes([item('a', 1, 'failure'), item('a', 2, 'success'), item('a', 3, 'failure'), item('a', 4, 'success'), item('a', 5, 'failure'), item('a', 6, 'failure')])).toEqual({
      a: { reset: true, failures: [5, 6] },
    });
  });

  it('adds failures without a success to the count left by earlier batches', () => {
    expect(changes([item('a', 1, 'failure'), item('a', 2, 'failure')])).toEqual({ a: { reset: false, failures: [1, 2] } });
  });

  it('keeps subscriptions apart, and leaves out what does not count', () => {
    expect(changes([item('a', 1, 'failure'), item('b', 2, 'success'), item('a', 3), item('b', 4, 'failure'), item('c', 5)])).toEqual({
      a: { reset: false, failures: [1] },
      b: { reset: true, failures: [4] },
    });
  });
});
