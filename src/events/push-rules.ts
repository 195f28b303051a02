/**
 * Push capture (Odoo 17+): the relay creates and owns `base.automation` rules in the user's
 * Odoo whose server action is a webhook (`ir.actions.server`, state 'webhook') pointing at the
 * relay's ingest route with an unguessable per-rule token. One rule for create/write (its post
 * carries write_date, so duplicates coalesce per change) and one for unlink.
 */
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database, SubscriptionsTable } from '../storage/schema.js';
import type { OdooClient } from '../odoo/index.js';
import { sha256Hex } from '../ids/random.js';
import { CaptureLeaseLost, type CaptureLease } from './capture-lease.js';

export interface PushRules {
  automationIds: number[];
  actionIds: number[];
}

/** Odoo stores domains as Python source (`filter_domain`); JSON maps onto it directly. */
export function toPythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('domain values must be finite numbers');
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
  if (Array.isArray(value)) return `[${value.map(toPythonLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${toPythonLiteral(k)}: ${toPythonLiteral(v)}`).join(', ')}}`;
  }
  throw new RangeError(`cannot express ${typeof value} in a domain`);
}

/** The ingest path for a token; the token itself is stored only as a hash. */
export function ingestPath(token: string): string {
  return `/api/events/ingest/${token}`;
}

export function newIngestToken(): string {
  return `ing_${crypto.randomBytes(24).toString('base64url')}`;
}

async function modelId(client: OdooClient, model: string): Promise<number> {
  const ids = (await client.executeKw('ir.model', 'search', [[['model', '=', model]]], { limit: 1 })) as number[];
  if (!ids.length) throw new Error(`model ${model} not found in Odoo`);
  return ids[0];
}

async function fieldIds(client: OdooClient, model: string, names: string[]): Promise<number[]> {
  if (!names.length) return [];
  return (await client.executeKw('ir.model.fields', 'search', [[['model', '=', model], ['name', 'in', names]]])) as number[];
}

/**
 * Rules were created in Odoo but could not be recorded in the relay's database (which is how
 * they are found and removed later); they have been removed from Odoo again, as far as it let.
 * Not an Odoo refusal: capture set-up fails instead of falling back to polling.
 */
export class PushRulesNotRecorded extends Error {
  constructor(subscriptionId: string, cause: unknown) {
    super(`the automation rules of subscription ${subscriptionId} could not be recorded`, { cause });
    this.name = 'PushRulesNotRecorded';
  }
}

/**
 * Creates the rules for a subscription in Odoo and records them with their ingest tokens, while
 * `lease` (the subscription's capture lease) is held. Returns what was created so it can be
 * removed later. Whatever fails after a rule exists in Odoo, the rules created so far are
 * removed again: rules no capture row refers to would post to the relay for good.
 */
export async function createPushRules(
  db: Kysely<Database>,
  client: OdooClient,
  sub: SubscriptionsTable,
  ingestBaseUrl: string,
  lease: CaptureLease,
  logger: Logger,
): Promise<PushRules> {
  const events = JSON.parse(sub.events) as string[];
  const rules: PushRules = { automationIds: [], actionIds: [] };
  const tokens: { token_hash: string; subscription_id: string; trigger: 'change' | 'unlink'; created_at: number }[] = [];
  try {
    const mid = await modelId(client, sub.model);
    const base = ingestBaseUrl.replace(/\/+$/, '');
    const domain = sub.domain ? toPythonLiteral(JSON.parse(sub.domain)) : false;
    const add = async (trigger: 'change' | 'unlink') => {
      const token = newIngestToken();
      // write_date lets the relay tell changes apart and coalesce Odoo's duplicate posts per change.
      const webhookFields = trigger === 'change' ? await fieldIds(client, sub.model, ['write_date']) : [];
      const actionId = (await client.executeKw('ir.actions.server', 'create', [
        {
          name: `odoo-relay ${sub.id} ${trigger}`,
          state: 'webhook',
          model_id: mid,
          webhook_url: `${base}${ingestPath(token)}`,
          webhook_field_ids: [[6, 0, webhookFields]],
        },
      ])) as number;
      rules.actionIds.push(actionId);
      const watched = trigger === 'change' && sub.changed_fields && !events.includes('create') ? await fieldIds(client, sub.model, JSON.parse(sub.changed_fields)) : [];
      const automation: Record<string, unknown> = {
        name: `odoo-relay ${sub.name} (${sub.id}, ${trigger})`.slice(0, 120),
        model_id: mid,
        trigger: trigger === 'change' ? 'on_create_or_write' : 'on_unlink',
        action_server_ids: [[6, 0, [actionId]]],
      };
      if (domain) automation.filter_domain = domain;
      if (watched.length) automation.trigger_field_ids = [[6, 0, watched]];
      rules.automationIds.push((await client.executeKw('base.automation', 'create', [automation])) as number);
      tokens.push({ token_hash: sha256Hex(token), subscription_id: sub.id, trigger, created_at: Date.now() });
    };
    if (events.includes('create') || events.includes('write')) await add('change');
    if (events.includes('unlink')) await add('unlink');
  } catch (err) {
    await removeUnrecorded(client, sub.id, rules, logger);
    throw err;
  }
  try {
    await db.transaction().execute(async (trx) => {
      // First, and only while this set-up still holds the lease: a subscription deleted or set
      // up by another holder meanwhile must not get these rules (nor lose its own).
      const recorded = await trx
        .updateTable('subscription_capture')
        .set({ push_rules: JSON.stringify(rules) })
        .where('subscription_id', '=', sub.id)
        .where('locked_by', '=', lease.owner)
        .executeTakeFirst();
      if (Number(recorded.numUpdatedRows ?? 0) === 0) throw new CaptureLeaseLost(sub.id);
      await trx.deleteFrom('ingest_tokens').where('subscription_id', '=', sub.id).execute();
      if (tokens.length) await trx.insertInto('ingest_tokens').values(tokens).execute();
    });
  } catch (err) {
    await removeUnrecorded(client, sub.id, rules, logger);
    throw err instanceof CaptureLeaseLost ? err : new PushRulesNotRecorded(sub.id, err);
  }
  return rules;
}

/**
 * Best effort: removes rules that nothing records. When Odoo refuses, says which to delete by
 * hand (ids only: the ingest tokens are in the rules' URLs, never in the log).
 */
async function removeUnrecorded(client: OdooClient, subscriptionId: string, rules: PushRules, logger: Logger): Promise<void> {
  if (!rules.automationIds.length && !rules.actionIds.length) return;
  try {
    await removePushRules(client, rules);
  } catch (err) {
    logger.warn(
      { subscription: subscriptionId, automationIds: rules.automationIds, actionIds: rules.actionIds, error: err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200) },
      'could not remove automation rules that capture set-up created but did not record; delete them in Odoo',
    );
  }
}

/**
 * Takes a subscription's recorded rules off its capture row, with their ingest tokens, while
 * `lease` is still held; the caller then removes the rules from Odoo. Null when the lease was
 * lost: another holder owns the capture now, and the rules recorded are its own, which must
 * stay (a poll that lost its lease once removed the rules a new set-up had just made). One
 * transaction, which `also` joins, so the row never records rules whose tokens are gone.
 */
export async function detachPushRules(
  db: Kysely<Database>,
  subscriptionId: string,
  lease: CaptureLease,
  also?: (trx: Transaction<Database>) => Promise<unknown>,
): Promise<{ rules: PushRules | null } | null> {
  return db.transaction().execute(async (trx) => {
    const cap = await trx
      .selectFrom('subscription_capture')
      .select('push_rules')
      .where('subscription_id', '=', subscriptionId)
      .where('locked_by', '=', lease.owner)
      .executeTakeFirst();
    if (!cap) return null;
    // Compared with what was read: the lease may change hands between the read and this write.
    const detached = await trx
      .updateTable('subscription_capture')
      .set({ push_rules: null })
      .where('subscription_id', '=', subscriptionId)
      .where('locked_by', '=', lease.owner)
      .where((eb) => (cap.push_rules === null ? eb('push_rules', 'is', null) : eb('push_rules', '=', cap.push_rules)))
      .executeTakeFirst();
    if (Number(detached.numUpdatedRows ?? 0) === 0) return null;
    await trx.deleteFrom('ingest_tokens').where('subscription_id', '=', subscriptionId).execute();
    await also?.(trx);
    return { rules: cap.push_rules ? (JSON.parse(cap.push_rules) as PushRules) : null };
  });
}

/** Deletes the relay's rules from Odoo (automations first: they reference the actions). */
export async function removePushRules(client: OdooClient, rules: PushRules): Promise<void> {
  if (rules.automationIds.length) await client.executeKw('base.automation', 'unlink', [rules.automationIds]);
  if (rules.actionIds.length) await client.executeKw('ir.actions.server', 'unlink', [rules.actionIds]);
}
