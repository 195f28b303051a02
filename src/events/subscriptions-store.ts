/**
 * Subscriptions: who wants which Odoo record changes delivered where, and how.
 * Storage and validation only; capture (push rules, polling) and delivery live beside it.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, SubscriptionsTable } from '../storage/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { newId } from '../ids/random.js';
import { LOST_RACE, retryLostRaces } from '../storage/compare-and-set.js';
import { RelayError } from '../errors/index.js';
import { parseInput } from '../http/parse-input.js';
import { resolveConnection } from '../connections/store.js';
import { checkTargetUrl, type AddressPolicy } from './ssrf-guard.js';
import { validateCustomHeaders, DEFAULT_TIMEOUT_MS } from './sender.js';
import { generateSigningSecret, type PreviousSecret, type SecretRotation } from './signing.js';
import { DEFAULT_RETRIES } from './retry-schedule.js';
import type { PayloadFormat, RecordEvent } from './payload.js';
import { ChangeSignal as CacheSignal } from '../cache/ttl-cache.js';
import { FIELD_NAME as FIELD, MODEL_NAME as MODEL } from '../odoo/names.js';

/** Raised on every subscription change in this process, so the worker's cache drops stale rows. */
export const subscriptionsChanged = new CacheSignal();

export type CaptureMode = 'auto' | 'push' | 'poll';

/** A subscription as its owner sees it: never the signing secret or header values. */
export interface Subscription {
  id: string;
  userId: string;
  connectionId: string;
  name: string;
  model: string;
  events: RecordEvent[];
  domain: unknown[] | null;
  changedFields: string[] | null;
  fields: string[] | null;
  targetUrl: string;
  format: PayloadFormat;
  timeoutMs: number;
  retries: number;
  /** Header names only: values may be credentials. */
  headerNames: string[];
  captureMode: CaptureMode;
  captureEffective: 'push' | 'poll';
  captureNote: string | null;
  active: boolean;
  consecutiveFailures: number;
  disabledAt: number | null;
  disabledReason: string | null;
  /** The OAuth app that created it: revoking that app's access pauses it. */
  appId: string | null;
  secretRotatingUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

// Dot-separated parts (`res.partner`, `x_custom.model`): `res.partner.` or `res..partner` is no
// model, and was passed to Odoo to refuse without naming the field.
const EVENTS = ['create', 'write', 'unlink'] as const;

const fieldList = z.array(z.string().regex(FIELD, 'must be an Odoo field name')).max(200);

/** Accepted shape of POST (all of it) and PATCH (any part of it). */
export const subscriptionInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  connectionId: z.string().min(1).max(64).optional(),
  model: z.string().regex(MODEL, 'must be an Odoo model name such as res.partner').max(128),
  events: z.array(z.enum(EVENTS)).min(1).max(3).default(['create', 'write', 'unlink']),
  domain: z.array(z.unknown()).max(100).nullable().optional(),
  changedFields: fieldList.min(1).nullable().optional(),
  fields: fieldList.min(1).nullable().optional(),
  targetUrl: z.string({ error: 'Target URL is required' }).min(1, 'Target URL is required').max(2048, 'Target URL must be at most 2048 characters'),
  format: z.enum(['json', 'xml']).default('json'),
  timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_TIMEOUT_MS),
  retries: z.number().int().min(0).max(20).default(DEFAULT_RETRIES),
  headers: z.record(z.string(), z.string()).nullable().optional(),
  captureMode: z.enum(['auto', 'push', 'poll']).default('auto'),
  active: z.boolean().default(true),
});
export type SubscriptionInput = z.input<typeof subscriptionInputSchema>;

export const subscriptionPatchSchema = subscriptionInputSchema
  .omit({ connectionId: true, model: true })
  .extend({
    events: z.array(z.enum(EVENTS)).min(1).max(3).optional(),
    format: z.enum(['json', 'xml']).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
    retries: z.number().int().min(0).max(20).optional(),
    captureMode: z.enum(['auto', 'push', 'poll']).optional(),
    active: z.boolean().optional(),
    targetUrl: z.string().min(1, 'Target URL is required').max(2048, 'Target URL must be at most 2048 characters').optional(),
  })
  .partial();
export type SubscriptionPatch = z.input<typeof subscriptionPatchSchema>;

/** Refuses a malformed update with `invalid_request` naming the field; the checks that need the row come later. */
export function checkSubscriptionPatch(body: unknown): SubscriptionPatch {
  return parseInput(subscriptionPatchSchema, body);
}

/** Save-time URL check: the same SSRF policy the sender enforces at connect time. */
export function checkSubscriptionUrl(url: string, policy: AddressPolicy): string {
  const verdict = checkTargetUrl(url, policy);
  if (!verdict.ok) {
    throw new RelayError(verdict.code === 'ssrf_refused' ? 'target_not_allowed' : 'invalid_request', `targetUrl: ${verdict.reason}`, { field: 'targetUrl' });
  }
  return verdict.url.toString();
}

function checkHeaders(headers: Record<string, string> | null | undefined): void {
  if (!headers) return;
  if (Object.keys(headers).length > 20) throw new RelayError('invalid_request', 'At most 20 custom headers', { field: 'headers' });
  const check = validateCustomHeaders(headers);
  if (!check.ok) throw new RelayError('invalid_request', `headers: ${check.problems.join('; ')}`, { field: 'headers', problems: check.problems });
}

function checkDomain(domain: unknown[] | null | undefined): void {
  if (!domain) return;
  for (const term of domain) {
    if (term === '&' || term === '|' || term === '!') continue;
    if (Array.isArray(term) && term.length === 3 && typeof term[0] === 'string' && typeof term[1] === 'string') continue;
    throw new RelayError('invalid_request', 'domain: each term must be "&", "|", "!" or [field, operator, value]', { field: 'domain' });
  }
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * `res.partner → hooks.example.com/crm`: the model and where it goes, path included (two
 * subscriptions to one host otherwise looked alike in every list), never the query (it may hold
 * a token). Cut to the name's limit.
 */
function defaultName(model: string, targetUrl: string): string {
  const url = new URL(targetUrl);
  return `${model} → ${url.host}${url.pathname === '/' ? '' : url.pathname}`.slice(0, 100);
}

export function toSubscription(row: SubscriptionsTable, box: SecretBox): Subscription {
  // Headers that do not open are listed as none (the deliveries say why they fail), rather than
  // failing every list that includes the subscription.
  const opened = row.headers_enc ? box.tryDecrypt(row.headers_enc) : undefined;
  const headers = opened ? (JSON.parse(opened) as Record<string, string>) : {};
  return {
    id: row.id,
    userId: row.user_id,
    connectionId: row.connection_id,
    name: row.name,
    model: row.model,
    events: JSON.parse(row.events),
    domain: row.domain ? JSON.parse(row.domain) : null,
    changedFields: row.changed_fields ? JSON.parse(row.changed_fields) : null,
    fields: row.fields ? JSON.parse(row.fields) : null,
    targetUrl: row.target_url,
    format: row.format,
    timeoutMs: row.timeout_ms,
    retries: row.retries,
    headerNames: Object.keys(headers),
    captureMode: row.capture_mode,
    captureEffective: row.capture_effective,
    captureNote: row.capture_note,
    active: row.active === 1,
    consecutiveFailures: row.consecutive_failures,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    appId: row.app_id,
    secretRotatingUntil: row.previous_secret_until !== null && row.previous_secret_until > Date.now() ? row.previous_secret_until : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface StoreDeps {
  db: Kysely<Database>;
  box: SecretBox;
  addressPolicy: AddressPolicy;
}

/** Creates a subscription; returns it with its signing secret, which is shown this once. */
export async function createSubscription(
  deps: StoreDeps,
  userId: string,
  body: unknown,
  appId: string | null = null,
): Promise<{ subscription: Subscription; secret: string; row: SubscriptionsTable }> {
  const input = parseInput(subscriptionInputSchema, body);
  const targetUrl = checkSubscriptionUrl(input.targetUrl, deps.addressPolicy);
  checkHeaders(input.headers);
  checkDomain(input.domain);
  const resolved = await resolveConnection(deps.db, userId, input.connectionId ?? null);
  if (!resolved) throw new RelayError('no_odoo_connection');
  const secret = generateSigningSecret();
  const now = Date.now();
  const row: SubscriptionsTable = {
    id: newId('sub'),
    user_id: userId,
    connection_id: resolved.connection.id,
    name: input.name ?? defaultName(input.model, targetUrl),
    model: input.model,
    events: JSON.stringify([...new Set(input.events)]),
    domain: json(input.domain),
    changed_fields: json(input.changedFields),
    fields: json(input.fields),
    target_url: targetUrl,
    format: input.format,
    timeout_ms: input.timeoutMs,
    retries: input.retries,
    secret_enc: deps.box.encrypt(secret),
    previous_secret_enc: null,
    previous_secret_until: null,
    headers_enc: input.headers && Object.keys(input.headers).length ? deps.box.encrypt(JSON.stringify(input.headers)) : null,
    capture_mode: input.captureMode,
    // Decided by capture setup (push needs Odoo 17+ and a reachable ingest URL); poll until then.
    capture_effective: 'poll',
    capture_note: null,
    active: input.active ? 1 : 0,
    consecutive_failures: 0,
    disabled_at: input.active ? null : now,
    disabled_reason: input.active ? null : 'created inactive',
    app_id: appId,
    created_at: now,
    updated_at: now,
  };
  await deps.db.insertInto('subscriptions').values(row).execute();
  subscriptionsChanged.raise();
  return { subscription: toSubscription(row, deps.box), secret, row };
}

export async function getSubscriptionRow(db: Kysely<Database>, id: string, userId?: string): Promise<SubscriptionsTable> {
  let q = db.selectFrom('subscriptions').selectAll().where('id', '=', id);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirst();
  if (!row) throw new RelayError('not_found', `No subscription ${id.slice(0, 64)}`);
  return row;
}

/** A user's subscriptions (all users' when userId is undefined, for the CLI and dashboard). */
export async function listSubscriptions(deps: Pick<StoreDeps, 'db' | 'box'>, userId?: string): Promise<Subscription[]> {
  let q = deps.db.selectFrom('subscriptions').selectAll().orderBy('created_at', 'asc');
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  return (await q.execute()).map((r) => toSubscription(r, deps.box));
}

/**
 * Saved custom headers (a receiver's Authorization, say) are sent only to the origin they were
 * saved for, as a connection's Odoo password is: whoever may edit the subscription (an OAuth app
 * with the subscriptions scope too) could otherwise point it at their own server and read them.
 * A move to another origin must say the headers again, or drop them with `null`.
 */
function assertHeadersFollow(before: SubscriptionsTable, targetUrl: string, headers: Record<string, string> | null | undefined): void {
  if (!before.headers_enc || headers !== undefined) return;
  const origin = new URL(before.target_url).origin;
  if (new URL(targetUrl).origin === origin) return;
  throw new RelayError(
    'invalid_request',
    `Enter the custom headers again, or send "headers": null to drop them: the saved ones are only sent to ${origin}`,
    { field: 'headers' },
  );
}

/** Applies a partial update; returns the previous and the new row so capture can react. */
export async function updateSubscription(
  deps: StoreDeps,
  userId: string | undefined,
  id: string,
  patch: SubscriptionPatch,
): Promise<{ before: SubscriptionsTable; after: SubscriptionsTable }> {
  const before = await getSubscriptionRow(deps.db, id, userId);
  const set: Partial<SubscriptionsTable> = { updated_at: Math.max(Date.now(), before.updated_at + 1) };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.events !== undefined) set.events = JSON.stringify([...new Set(patch.events)]);
  if (patch.domain !== undefined) {
    checkDomain(patch.domain);
    set.domain = json(patch.domain);
  }
  if (patch.changedFields !== undefined) set.changed_fields = json(patch.changedFields);
  if (patch.fields !== undefined) set.fields = json(patch.fields);
  if (patch.targetUrl !== undefined) {
    set.target_url = checkSubscriptionUrl(patch.targetUrl, deps.addressPolicy);
    assertHeadersFollow(before, set.target_url, patch.headers);
  }
  if (patch.format !== undefined) set.format = patch.format;
  if (patch.timeoutMs !== undefined) set.timeout_ms = patch.timeoutMs;
  if (patch.retries !== undefined) set.retries = patch.retries;
  if (patch.headers !== undefined) {
    checkHeaders(patch.headers);
    set.headers_enc = patch.headers && Object.keys(patch.headers).length ? deps.box.encrypt(JSON.stringify(patch.headers)) : null;
  }
  if (patch.captureMode !== undefined) set.capture_mode = patch.captureMode;
  if (patch.active !== undefined && patch.active !== (before.active === 1)) {
    set.active = patch.active ? 1 : 0;
    if (patch.active) {
      // Re-enabling starts a fresh failure count; the disable reason is kept for the record until then.
      set.consecutive_failures = 0;
      set.disabled_at = null;
      set.disabled_reason = null;
    } else {
      set.disabled_at = Date.now();
      set.disabled_reason = 'disabled by its owner';
    }
  }
  await deps.db.updateTable('subscriptions').set(set).where('id', '=', before.id).execute();
  subscriptionsChanged.raise();
  return { before, after: { ...before, ...set } };
}

/** The settings updateSubscription may change, which a refused update puts back. */
const RESTORABLE = [
  'name', 'events', 'domain', 'changed_fields', 'fields', 'target_url', 'format', 'timeout_ms', 'retries',
  'headers_enc', 'capture_mode', 'active', 'consecutive_failures', 'disabled_at', 'disabled_reason',
] as const satisfies readonly (keyof SubscriptionsTable)[];

/**
 * Puts back the settings a refused update changed, and only those: the seconds of Odoo calls
 * before the refusal may have seen other changes to the row (the delivery worker disabling the
 * subscription on a 410), which writing back the whole earlier row would undo. updated_at
 * moves past the update's so caches reload.
 */
export async function restoreSubscriptionSettings(db: Kysely<Database>, before: SubscriptionsTable, after: SubscriptionsTable): Promise<void> {
  const changed: Record<string, unknown> = {};
  for (const column of RESTORABLE) if (before[column] !== after[column]) changed[column] = before[column];
  await db
    .updateTable('subscriptions')
    .set({ ...(changed as Partial<SubscriptionsTable>), updated_at: Math.max(Date.now(), before.updated_at + 2) })
    .where('id', '=', before.id)
    .execute();
  subscriptionsChanged.raise();
}

export async function deleteSubscriptionRow(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('subscriptions').where('id', '=', id).execute();
  subscriptionsChanged.raise();
}

/** Rotating keeps signing with the old secret too for `overlapMs`, so receivers can switch at their pace. */
export async function rotateSigningSecret(
  deps: Pick<StoreDeps, 'db' | 'box'>,
  userId: string | undefined,
  id: string,
  overlapMs: number = 24 * 3_600_000,
): Promise<{ secret: string; previousValidUntil: number | null }> {
  const secret = generateSigningSecret();
  // Compare-and-set on the secret being replaced: two rotations at once must not both replace
  // the same one, or the first caller's new secret (shown once) would be neither current nor
  // previous. The loser reads again and keeps the winner's secret among the previous ones.
  return retryLostRaces(
    async () => {
      const row = await getSubscriptionRow(deps.db, id, userId);
      const now = Date.now();
      const until = now + overlapMs;
      // Every replaced secret keeps its own window: a second rotation within the first one's
      // window must not cut the original secret off early (receivers may not have switched yet).
      // Secrets that no longer open (sealed under another master key) cannot sign: rotating
      // leaves them out, which is how such a subscription is repaired.
      const stillValid = readablePreviousSecrets(row, deps.box).filter((p) => p.until > now);
      const replaced = deps.box.tryDecrypt(row.secret_enc);
      const previous: PreviousSecret[] = [...(replaced === undefined ? [] : [{ secret: replaced, until }]), ...stillValid].slice(0, MAX_PREVIOUS_SECRETS);
      const result = await deps.db
        .updateTable('subscriptions')
        .set({
          secret_enc: deps.box.encrypt(secret),
          previous_secret_enc: previous.length ? deps.box.encrypt(JSON.stringify(previous)) : null,
          previous_secret_until: previous.length ? Math.max(...previous.map((p) => p.until)) : null,
          updated_at: Math.max(now, row.updated_at + 1),
        })
        .where('id', '=', id)
        .where('secret_enc', '=', row.secret_enc)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return LOST_RACE;
      subscriptionsChanged.raise();
      // null: the replaced secret did not open, so it does not sign alongside the new one.
      return { secret, previousValidUntil: replaced === undefined ? null : until };
    },
    10,
    () => new RelayError('conflict', 'The signing secret is being rotated by another request; try again'),
  );
}

/** Replaced secrets a subscription still signs with, at most this many (rotations within one window). */
const MAX_PREVIOUS_SECRETS = 5;

/**
 * The replaced secrets stored with a subscription, newest first. Stored as an encrypted JSON
 * list; a row from before lists held the one previous secret itself (a `whsec_` string, never
 * JSON), valid until previous_secret_until.
 */
function previousSecretsOf(row: SubscriptionsTable, box: SecretBox): PreviousSecret[] {
  if (!row.previous_secret_enc) return [];
  const text = box.decrypt(row.previous_secret_enc);
  if (!text.startsWith('[')) return row.previous_secret_until ? [{ secret: text, until: row.previous_secret_until }] : [];
  return JSON.parse(text) as PreviousSecret[];
}

function readablePreviousSecrets(row: SubscriptionsTable, box: SecretBox): PreviousSecret[] {
  try {
    return previousSecretsOf(row, box);
  } catch {
    return [];
  }
}

/** The secrets to sign with: the current one, plus those replaced whose rotation windows are open. */
export function secretRotationOf(row: SubscriptionsTable, box: SecretBox): SecretRotation {
  return { current: box.decrypt(row.secret_enc), previous: previousSecretsOf(row, box) };
}

export function customHeadersOf(row: SubscriptionsTable, box: SecretBox): Record<string, string> {
  return row.headers_enc ? (JSON.parse(box.decrypt(row.headers_enc)) as Record<string, string>) : {};
}

/** The columns that disable a subscription, and say why (for the dashboard). */
export function disabledColumns(reason: string, now: number) {
  return { active: 0, disabled_at: now, disabled_reason: reason.slice(0, 500), updated_at: now };
}

/**
 * Pauses the active subscriptions of a user, or made by some apps (for one user or all), saying
 * why; answers how many. Paused, not deleted: their owners see them, and why. It does not raise
 * subscriptionsChanged, so that it can run inside a transaction: its caller raises it once the
 * change is committed.
 */
export async function pauseSubscriptions(
  db: Kysely<Database>,
  match: { userId?: string; appIds?: readonly string[] },
  reason: string,
): Promise<number> {
  if (match.appIds?.length === 0) return 0;
  let q = db.updateTable('subscriptions').set(disabledColumns(reason, Date.now())).where('active', '=', 1);
  if (match.userId !== undefined) q = q.where('user_id', '=', match.userId);
  if (match.appIds !== undefined) q = q.where('app_id', 'in', match.appIds);
  return Number((await q.executeTakeFirst()).numUpdatedRows ?? 0);
}

/**
 * Pauses the subscriptions an app created, when it loses access: for one user (who revoked
 * it) or for all (the app was deleted). Their deliveries go to the app's receiver, which must
 * not go on getting the user's records.
 */
export async function disableAppSubscriptions(db: Kysely<Database>, appId: string, userId: string | undefined, reason: string): Promise<number> {
  const paused = await pauseSubscriptions(db, { appIds: [appId], userId }, reason);
  if (paused) subscriptionsChanged.raise();
  return paused;
}

