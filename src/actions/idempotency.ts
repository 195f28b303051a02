import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { sha256Hex } from '../ids/random.js';

/** An answer as stored for replay: HTTP status and JSON body. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

const KEY_SHAPE = /^[\x20-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

/**
 * How long an unfinished claim stays its instance's without a sign of life. The instance running
 * the request renews it every CLAIM_RENEW_MS; a claim not renewed for this long belongs to an
 * instance that stopped (killed, crashed, out of memory) in the middle of the request.
 */
export const CLAIM_LEASE_MS = 60_000;
export const CLAIM_RENEW_MS = 15_000;

/**
 * Idempotency-Key handling: the first request with a key reserves it (a row without a
 * response), runs, and stores its response; a repeat with the same body gets the stored
 * response without reaching Odoo, so an n8n retry never creates a record twice. Claims are
 * by primary-key insert, so two relay instances cannot both run the same key.
 *
 * While a claim is unfinished, `expires_at` is its lease, renewed while the request runs; once
 * answered, it is the answer's time to live. A claim whose lease ran out was abandoned: its
 * request may have reached Odoo, so it is answered as an unknown outcome, never run again.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
  ) {}

  /** `abandoned`: what to store and answer for a claim whose instance stopped before it finished. */
  async claim(scope: string, key: string, rawBody: Buffer, abandoned: () => StoredAnswer, now = Date.now()): Promise<IdempotencyClaim> {
    const requestHash = sha256Hex(rawBody);
    // An expired answer is dead weight: clear it so the key can be claimed afresh.
    await this.db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .where('expires_at', '<=', now)
      .where('status', 'is not', null)
      .execute();
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({ scope, idem_key: key, request_hash: requestHash, status: null, response: null, created_at: now, expires_at: now + CLAIM_LEASE_MS })
      .onConflict((oc) => oc.columns(['scope', 'idem_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { kind: 'new' };
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (!row) return this.claim(scope, key, rawBody, abandoned, now);
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.status === null || row.response === null) {
      if (row.expires_at > now) return { kind: 'in_progress' };
      // Only while still unfinished: the first instance may answer after all, and its answer wins.
      const answer = abandoned();
      await this.db
        .updateTable('idempotency_keys')
        .set({ status: answer.status, response: JSON.stringify(answer.body), expires_at: row.created_at + this.ttlMs })
        .where('scope', '=', scope)
        .where('idem_key', '=', key)
        .where('status', 'is', null)
        .execute();
      return this.claim(scope, key, rawBody, abandoned, now);
    }
    return { kind: 'replay', status: row.status, body: JSON.parse(row.response) };
  }

  /** Renews an unfinished claim's lease: its instance is alive and still running the request. */
  async renew(scope: string, key: string, now = Date.now()): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ expires_at: now + CLAIM_LEASE_MS })
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .where('status', 'is', null)
      .execute();
  }

  /** Stores the answer, replayed until the key's time to live, counted from the first request. */
  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set((eb) => ({ status, response: JSON.stringify(body), expires_at: eb('created_at', '+', this.ttlMs) }))
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .execute();
  }

  /** Frees a key whose request failed in a way worth retrying (Odoo down, timeout, relay bug). */
  async release(scope: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('idem_key', '=', key).where('status', 'is', null).execute();
  }

  /** Expired answers, and abandoned claims once an answer would have expired too. */
  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', now)
      .where((eb) => eb.or([eb('status', 'is not', null), eb('created_at', '<=', now - this.ttlMs)]))
      .execute();
  }
}
