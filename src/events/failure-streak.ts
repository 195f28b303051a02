/**
 * What one batch of delivery outcomes does to each subscription's count of consecutive failed
 * deliveries. The worker writes outcomes in batches, in the order the sends finished; within a
 * batch that order decides: a success wipes the failures that finished before it, and only the
 * failures after a subscription's last success in the batch are left counting.
 */

export type StreakOutcome = 'success' | 'failure';

export interface StreakChange<T> {
  /** The batch holds a success: the count starts again from `failures.length`. */
  reset: boolean;
  /** Failures after the batch's last success (all of them without one), in the order they finished. */
  failures: T[];
}

/**
 * Groups a batch by subscription. `outcomeOf` says what an item counts as, or undefined for
 * one that does not touch the count (a retry still to come, a claim another worker took over).
 */
export function streakChanges<T extends { subscriptionId: string }>(
  batch: readonly T[],
  outcomeOf: (item: T) => StreakOutcome | undefined,
): Map<string, StreakChange<T>> {
  const out = new Map<string, StreakChange<T>>();
  for (const item of batch) {
    const outcome = outcomeOf(item);
    if (outcome === undefined) continue;
    let change = out.get(item.subscriptionId);
    if (!change) out.set(item.subscriptionId, (change = { reset: false, failures: [] }));
    if (outcome === 'success') {
      change.reset = true;
      change.failures = [];
    } else {
      change.failures.push(item);
    }
  }
  return out;
}
