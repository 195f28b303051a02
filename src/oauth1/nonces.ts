import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { pruneExpiredRequestTokens } from './tokens.js';

/** Accepted distance between oauth_timestamp and the relay's clock, either way (RFC 5849 §3.3 leaves it to the server). */
export const TIMESTAMP_WINDOW_SECONDS = 300;

/** Longest oauth_nonce stored; clients send 32 characters or so. */
export const MAX_NONCE_LENGTH = 255;

export interface NonceKey {
  consumerKey: string;
  /** SHA-256 of oauth_token, '' for two-legged requests. */
  tokenHash: string;
  timestamp: number;
  nonce: string;
}

/**
 * Records a nonce; false if this (consumer, token, timestamp, nonce) was seen before. The
 * database's primary key decides (insert … on conflict do nothing), so the check holds across
 * relay instances. A row is kept exactly as long as its timestamp is still inside the window:
 * after that the timestamp check refuses the request anyway.
 */
export async function claimNonce(db: Kysely<Database>, key: NonceKey): Promise<boolean> {
  const result = await db
    .insertInto('oauth1_nonces')
    .values({
      consumer_key: key.consumerKey,
      token_hash: key.tokenHash,
      timestamp: key.timestamp,
      nonce: key.nonce,
      expires_at: (key.timestamp + TIMESTAMP_WINDOW_SECONDS + 1) * 1000,
    })
    .onConflict((oc) => oc.columns(['consumer_key', 'token_hash', 'timestamp', 'nonce']).doNothing())
    .executeTakeFirst();
  prunePeriodically(db);
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function pruneExpiredNonces(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('oauth1_nonces').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

const PRUNE_EVERY_MS = 60_000;
const lastPrune = new WeakMap<object, number>();

/**
 * At most once a minute per database handle, expired nonces and request tokens are deleted in
 * the background. Done here rather than by a timer so this capability owns its housekeeping;
 * a failure only delays the next prune (the rows are already refused by their expiry).
 */
function prunePeriodically(db: Kysely<Database>): void {
  const now = Date.now();
  if (now - (lastPrune.get(db) ?? 0) < PRUNE_EVERY_MS) return;
  lastPrune.set(db, now);
  void Promise.all([pruneExpiredNonces(db, now), pruneExpiredRequestTokens(db, now)]).catch(() => lastPrune.delete(db));
}
