/** How often the list is read while a delivery is being sent or about to be. */
export const FOLLOW_MS = 1500;
/** The longest wait before the list is read again while deliveries wait for a retry. */
const MAX_FOLLOW_MS = 60_000;

/** What the rule reads of a delivery (api.ts's Delivery has these; no import, so the tests load this file alone). */
export interface DeliveryProgress {
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
}

/**
 * When to read the deliveries list again, in ms from `now`: soon while one is being sent or is
 * due (its first attempt, or a retry whose time has come); at the soonest retry's time when all
 * wait for one (at most a minute); never when none is moving. Reading it every 1.5 s while a
 * receiver's retry is minutes away only loads the relay.
 */
export function followDelayMs(rows: readonly DeliveryProgress[], now: number): number | null {
  let soonest = Infinity;
  for (const d of rows) {
    if (d.status === 'in_flight') return FOLLOW_MS;
    if (d.status !== 'pending') continue;
    if (d.attempts === 0 || d.nextAttemptAt === null) return FOLLOW_MS;
    soonest = Math.min(soonest, d.nextAttemptAt - now);
  }
  return soonest === Infinity ? null : Math.min(MAX_FOLLOW_MS, Math.max(FOLLOW_MS, soonest));
}
