/** What a compare-and-set attempt answers when its conditional write changed nothing: another writer got there first. */
export const LOST_RACE: unique symbol = Symbol('lost race');

/**
 * Read-modify-write without a lock held between the read and the write: `attempt` reads,
 * computes and writes on the condition that the row still holds what it read, and answers
 * LOST_RACE when that condition failed. It then runs again on a fresh read, so the other
 * writer's change is kept, at most `maxAttempts` times (each lost race means another writer
 * made progress); after that `giveUp` says why.
 */
export async function retryLostRaces<T>(attempt: () => Promise<T | typeof LOST_RACE>, maxAttempts: number, giveUp: () => Error): Promise<T> {
  for (let n = 1; n <= maxAttempts; n++) {
    const outcome = await attempt();
    if (outcome !== LOST_RACE) return outcome;
  }
  throw giveUp();
}

