/**
 * From records read back from Odoo to outbox events, shared by push and poll capture so that
 * both produce the same event id for the same change (the outbox keeps the first one).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, SubscriptionsTable } from '../storage/schema.js';
import { buildEventPayload, eventIdFor, type JsonValue, type RecordEvent } from './payload.js';
import { normalizeOdooDatetime, odooDatetimeToIso } from './odoo-datetime.js';
import { POLL_FIELDS } from './poll-plan.js';
import type { NewEvent } from './outbox.js';

export interface ReadRecord {
  id: number;
  write_date?: unknown;
  [field: string]: unknown;
}

/** Fields to ask Odoo for: the payload's, plus what capture itself needs. */
export function fieldsToRead(sub: Pick<SubscriptionsTable, 'fields' | 'changed_fields'>): string[] | undefined {
  if (!sub.fields) return undefined; // all fields
  const wanted = new Set<string>([...POLL_FIELDS, ...(JSON.parse(sub.fields) as string[])]);
  if (sub.changed_fields) for (const f of JSON.parse(sub.changed_fields) as string[]) wanted.add(f);
  return [...wanted];
}

/** The payload's `data`: the subscription's fields (all read fields when none are listed). */
function payloadData(sub: SubscriptionsTable, row: ReadRecord): Record<string, JsonValue> {
  const fields = sub.fields ? (JSON.parse(sub.fields) as string[]) : Object.keys(row);
  const data: Record<string, JsonValue> = {};
  for (const f of fields) if (f in row) data[f] = row[f] as JsonValue;
  return data;
}

/**
 * One id per change, whichever path saw it. Create and write share the version (the record's
 * write_date) and are hashed as one kind on purpose: push and poll may disagree on which of the
 * two a change was (push cannot tell; poll decides by the known-id set), but not on the change.
 */
export function changeEventId(sub: Pick<SubscriptionsTable, 'id' | 'model'>, recordId: number, event: RecordEvent, writeDate: string | null): string {
  return eventIdFor({
    model: sub.model,
    recordId,
    event: event === 'unlink' ? 'unlink' : 'write',
    version: `${sub.id}\u0000${event === 'unlink' ? 'deleted' : (writeDate ?? 'unknown')}`,
  });
}

export interface ChangeCandidate {
  row: ReadRecord;
  event: 'create' | 'write';
}

/**
 * Builds events for changed records, applying the subscription's event list and its
 * changed-fields filter (kept with a per-record snapshot of the watched fields, since neither
 * polling nor Odoo's webhook body says what changed).
 */
export async function eventsForChanges(
  db: Kysely<Database>,
  sub: SubscriptionsTable,
  candidates: readonly ChangeCandidate[],
  source: NewEvent['source'],
): Promise<NewEvent[]> {
  const wantedEvents = new Set(JSON.parse(sub.events) as RecordEvent[]);
  const watched = sub.changed_fields ? (JSON.parse(sub.changed_fields) as string[]) : null;
  const snapshots = watched ? await loadSnapshots(db, sub.id, candidates.map((c) => c.row.id)) : new Map<number, Record<string, unknown>>();
  const newSnapshots: Snapshot[] = [];
  const pending: PendingEvent[] = [];
  for (const candidate of candidates) {
    const { row } = candidate;
    let { event } = candidate;
    // A record created since capture last looked and written again before it looked (a
    // quotation created out of the domain and confirmed into it, in one poll interval) is
    // one change to capture. Reported as its creation when creates are wanted; a
    // subscription to writes only still gets the write.
    if (event === 'create' && !wantedEvents.has('create') && writtenAfterCreate(row)) event = 'write';
    let changed: string[] | undefined;
    if (watched) {
      const now = Object.fromEntries(watched.map((f) => [f, row[f] ?? null]));
      const before = snapshots.get(row.id);
      changed = watched.filter((f) => before === undefined || JSON.stringify(before[f] ?? null) !== JSON.stringify(now[f]));
      newSnapshots.push({ record_id: row.id, vals: JSON.stringify(now), write_date: normalizeOdooDatetime(row.write_date) });
      // A write that touched none of the watched fields is no event for this subscription.
      if (event === 'write' && before !== undefined && changed.length === 0) continue;
    }
    if (!wantedEvents.has(event)) continue;
    const writeDate = normalizeOdooDatetime(row.write_date);
    const occurredAt = writeDate ? Date.parse(odooDatetimeToIso(writeDate)) : Date.now();
    const build = (id: string) =>
      buildEventPayload({
        id,
        model: sub.model,
        recordId: row.id,
        event,
        occurredAt: new Date(occurredAt),
        data: payloadData(sub, row),
        changedFields: event === 'write' && watched && snapshots.has(row.id) ? changed : undefined,
      });
    const id = changeEventId(sub, row.id, event, writeDate);
    pending.push({ event: { id, subscriptionId: sub.id, model: sub.model, recordId: row.id, event, source, occurredAt }, writeDate, build, payload: build(id) });
  }
  if (source === 'push') await distinguishSameSecondChanges(db, sub, pending);
  if (newSnapshots.length) await saveSnapshots(db, sub.id, newSnapshots);
  return pending.map((p) => ({ ...p.event, payload: JSON.stringify(p.payload) }));
}

/** An event being built: its columns (the id may still change), and its payload, built again for a new id. */
interface PendingEvent {
  event: Omit<NewEvent, 'payload'>;
  writeDate: string | null;
  build(id: string): ReturnType<typeof buildEventPayload>;
  payload: ReturnType<typeof buildEventPayload>;
}

/**
 * write_date has whole seconds, so a second change in the same second as one already recorded
 * (a create, then a write 300 ms later) gets the same event id and the outbox would drop it
 * for good: the reconcile poll computes that id too. A push hint is Odoo saying the record
 * changed; when its re-read differs from what the event under that id carries, it is a new
 * change and gets an id of its own (write_date plus a hash of the data). Odoo's repeated posts
 * of one change re-read the same data and still collapse onto one id.
 * Push only: a poll reads each settled second once, and comparing a later re-read with an
 * older event would turn computed fields that move without a write (counts, chatter) into
 * false changes.
 */
async function distinguishSameSecondChanges(db: Kysely<Database>, sub: SubscriptionsTable, pending: PendingEvent[]): Promise<void> {
  if (!pending.length) return;
  const recorded = new Map<string, string>();
  for (let i = 0; i < pending.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(['id', 'payload'])
      .where('subscription_id', '=', sub.id)
      .where('id', 'in', pending.slice(i, i + 500).map((p) => p.event.id))
      .execute();
    for (const r of rows) recorded.set(r.id, r.payload);
  }
  for (const p of pending) {
    const before = recorded.get(p.event.id);
    if (before === undefined) continue;
    const data = JSON.stringify(p.payload.data);
    if (JSON.stringify((JSON.parse(before) as { data?: unknown }).data) === data) continue;
    p.event.id = eventIdFor({ model: sub.model, recordId: p.event.recordId, event: 'write', version: `${sub.id}\u0000${p.writeDate ?? 'unknown'}\u0000${createHash('sha256').update(data).digest('hex')}` });
    p.payload = p.build(p.event.id);
  }
}

function writtenAfterCreate(row: ReadRecord): boolean {
  const created = normalizeOdooDatetime(row.create_date);
  const written = normalizeOdooDatetime(row.write_date);
  return created !== null && written !== null && written > created;
}

/** How many existing records get a snapshot of their watched fields at capture set-up. */
export const SETUP_SNAPSHOT_LIMIT = 10_000;

/**
 * Snapshots the watched fields (`changedFields`) of existing records at capture set-up, so the
 * first write to each is compared with its real previous values instead of counting as "all
 * changed". One `search_read`, bounded: the `SETUP_SNAPSHOT_LIMIT` most recently written
 * records, the domain ignored (a write may bring any record into it). A record beyond the bound
 * has no snapshot: its first write is reported without `changed_fields` (unknown, not guessed)
 * rather than risk dropping a real change. Records written at or after `since` (the capture
 * cursor) are left alone: the poller has not read that change yet and must still compare it
 * with the values before it. Returns how many snapshots were stored.
 */
export async function snapshotWatchedFields(
  db: Kysely<Database>,
  client: { executeKw(model: string, method: string, args: unknown[], kwargs?: Record<string, unknown>): Promise<unknown> },
  sub: SubscriptionsTable,
  since: string | null,
  limit: number = SETUP_SNAPSHOT_LIMIT,
): Promise<number> {
  if (!sub.changed_fields) return 0;
  const watched = JSON.parse(sub.changed_fields) as string[];
  const domain = since ? [['write_date', '<', since]] : [];
  const rows = (await client.executeKw(sub.model, 'search_read', [domain], {
    fields: [...new Set(['id', 'write_date', ...watched])],
    order: 'write_date desc, id desc',
    limit,
    context: { active_test: false },
  })) as ReadRecord[];
  await saveSnapshots(
    db,
    sub.id,
    rows.map((row) => ({
      record_id: row.id,
      vals: JSON.stringify(Object.fromEntries(watched.map((f) => [f, row[f] ?? null]))),
      write_date: normalizeOdooDatetime(row.write_date),
    })),
  );
  return rows.length;
}

/** Unlink events: the record is gone, so `data` holds its id and the last watched values known. */
export async function eventsForDeletions(db: Kysely<Database>, sub: SubscriptionsTable, ids: readonly number[], source: NewEvent['source']): Promise<NewEvent[]> {
  const wanted = (JSON.parse(sub.events) as RecordEvent[]).includes('unlink');
  if (!wanted || ids.length === 0) return [];
  const snapshots = sub.changed_fields ? await loadSnapshots(db, sub.id, ids) : new Map<number, Record<string, unknown>>();
  const now = Date.now();
  const out = ids.map((recordId) => {
    const id = changeEventId(sub, recordId, 'unlink', null);
    const payload = buildEventPayload({
      id,
      model: sub.model,
      recordId,
      event: 'unlink',
      occurredAt: new Date(now),
      data: (snapshots.get(recordId) ?? {}) as Record<string, JsonValue>,
    });
    return { id, subscriptionId: sub.id, model: sub.model, recordId, event: 'unlink' as const, source, payload: JSON.stringify(payload), occurredAt: now };
  });
  if (snapshots.size) {
    await db.deleteFrom('record_snapshots').where('subscription_id', '=', sub.id).where('record_id', 'in', [...ids]).execute();
  }
  return out;
}

async function loadSnapshots(db: Kysely<Database>, subscriptionId: string, ids: readonly number[]): Promise<Map<number, Record<string, unknown>>> {
  const out = new Map<number, Record<string, unknown>>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('record_snapshots')
      .select(['record_id', 'vals'])
      .where('subscription_id', '=', subscriptionId)
      .where('record_id', 'in', ids.slice(i, i + 500) as number[])
      .execute();
    for (const r of rows) out.set(r.record_id, JSON.parse(r.vals));
  }
  return out;
}

/** The watched values of one record, and the write_date they were read at. */
interface Snapshot {
  record_id: number;
  vals: string;
  write_date: string | null;
}

/**
 * Stores snapshots, never over a newer one: a poll and a push hint (or two instances) may read
 * one record at different versions and finish in either order. A snapshot left at an older
 * version would make a later change back to those values look like no change, and its event
 * would be skipped for good. Same-second versions cannot be told apart; the later write wins.
 */
async function saveSnapshots(db: Kysely<Database>, subscriptionId: string, rows: Snapshot[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('record_snapshots')
      .values(rows.slice(i, i + 200).map((r) => ({ subscription_id: subscriptionId, ...r })))
      .onConflict((oc) =>
        oc
          .columns(['subscription_id', 'record_id'])
          .doUpdateSet((eb) => ({ vals: eb.ref('excluded.vals'), write_date: eb.ref('excluded.write_date') }))
          .where((eb) =>
            eb.or([eb('record_snapshots.write_date', 'is', null), eb('excluded.write_date', 'is', null), eb('record_snapshots.write_date', '<=', eb.ref('excluded.write_date'))]),
          ),
      )
      .execute();
  }
}
