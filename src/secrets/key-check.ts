/**
 * Proves at start that the master key is the one the database's secrets were sealed with.
 * Without it, a lost key file was silently replaced by a new key (and a wrong MASTER_KEY
 * accepted): the relay started, /readyz said ready, every call that needed a stored secret
 * answered 500, and secrets saved from then on were sealed with a second key, mixing the two.
 */
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { ConfigError } from '../config.js';
import type { MasterKey } from './master-key.js';
import type { SecretBox } from './secret-box.js';

const CHECK_ID = 'master';
const CHECK_TEXT = 'odoo-relay master key check';

/**
 * Refuses with a ConfigError when the key cannot open the database's check text, or (a database
 * from before the check existed) one of its sealed secrets; otherwise records the check text
 * if there is none yet. A key file this start created for a refused key is removed again, so
 * the next start does not find a wrong key in place of the lost one.
 */
export async function checkMasterKey(db: Kysely<Database>, box: SecretBox, key: MasterKey): Promise<void> {
  try {
    await verify(db, box, key);
  } catch (err) {
    if (err instanceof ConfigError && key.created) fs.rmSync(key.source, { force: true });
    throw err;
  }
}

async function verify(db: Kysely<Database>, box: SecretBox, key: MasterKey): Promise<void> {
  const check = await readCheck(db);
  if (check !== undefined) {
    if (!opens(box, check, CHECK_TEXT)) throw mismatch(key);
    return;
  }
  const sealed = await anySealedSecret(db);
  if (sealed !== undefined && !opens(box, sealed)) throw mismatch(key);
  await db
    .insertInto('master_key_check')
    .values({ id: CHECK_ID, sealed: box.encrypt(CHECK_TEXT), created_at: Date.now() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  // Another instance starting on the same fresh PostgreSQL database may have written its own first.
  if (!opens(box, (await readCheck(db))!, CHECK_TEXT)) throw mismatch(key);
}

async function readCheck(db: Kysely<Database>): Promise<string | undefined> {
  const row = await db.selectFrom('master_key_check').select('sealed').where('id', '=', CHECK_ID).executeTakeFirst();
  return row?.sealed;
}

/** One sealed secret of any kind, for a database that has no check text yet. */
async function anySealedSecret(db: Kysely<Database>): Promise<string | undefined> {
  const found = await Promise.all([
    db.selectFrom('odoo_connections').select('secret_enc as sealed').limit(1).executeTakeFirst(),
    db.selectFrom('api_keys').select('hmac_secret_enc as sealed').where('hmac_secret_enc', 'is not', null).limit(1).executeTakeFirst(),
    db.selectFrom('apps').select('consumer_secret_enc as sealed').limit(1).executeTakeFirst(),
    db.selectFrom('subscriptions').select('secret_enc as sealed').limit(1).executeTakeFirst(),
  ]);
  return found.find((row) => row?.sealed)?.sealed ?? undefined;
}

function opens(box: SecretBox, sealed: string, expected?: string): boolean {
  try {
    const text = box.decrypt(sealed);
    return expected === undefined || text === expected;
  } catch {
    return false;
  }
}

function mismatch(key: MasterKey): ConfigError {
  if (key.source === 'MASTER_KEY') {
    return new ConfigError("MASTER_KEY is not the key this database's secrets were sealed with: set it to the original key");
  }
  if (key.created) {
    return new ConfigError(
      `${key.source} was missing, and this database holds secrets sealed with a master key: restore the original file (or set MASTER_KEY to its content). No new key was kept.`,
    );
  }
  return new ConfigError(`${key.source} is not the master key this database's secrets were sealed with: restore the original file (or set MASTER_KEY)`);
}
