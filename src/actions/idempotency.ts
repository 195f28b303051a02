import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { sha256Hex } from '../ids/random.js';

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
 * Idempotency-Key handling: the first request with a key reserves it (a row without a
 * response), runs, and stores its response; a repeat with the same body gets the stored
 * response without reaching Odoo, so an n8n retry never creates a record twice. Claims are
 * by primary-key insert, so two relay instances cannot both run the same key.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
  ) {}

  async claim(scope: string, key: string, rawBody: Buffer, now = Date.now()): Promise<IdempotencyClaim> {
    const requestHash = sha256Hex(rawBody);
    // An expired row is dead weight: clear it so the key can be claimed afresh.
    await this.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('idem_key', '=', key).where('expires_at', '<=', now).execute();
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({ scope, idem_key: key, request_hash: requestHash, status: null, response: null, created_at: now, expires_at: now + this.ttlMs })
      .onConflict((oc) => oc.columns(['scope', 'idem_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { kind: 'new' };
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (!row) return this.claim(scope, key, rawBody, now);
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.status === null || row.response === null) return { kind: 'in_progress' };
    return { kind: 'replay', status: row.status, body: JSON.parse(row.response) };
  }

  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ status, response: JSON.stringify(body) })
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .execute();
  }

  /** Frees a key whose request failed in a way worth retrying (Odoo down, timeout, relay bug). */
  async release(scope: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('idem_key', '=', key).where('status', 'is', null).execute();
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).execute();
  }
}
