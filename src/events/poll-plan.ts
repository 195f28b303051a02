/**
 * Polling capture as pure planning: which query to run next, which rows are new events, and
 * where the cursor moves. Works on any Odoo version and on hosted Odoo that cannot call us.
 *
 * Three facts shape it:
 * - `write_date` is stored with microseconds but RPC reads return whole seconds, and one
 *   transaction stamps every row it writes with the same value. So many rows share one
 *   second, and a batch limit can cut through them. The cursor therefore remembers the ids
 *   already emitted within its second and the next query excludes them server-side; a batch
 *   of rows all from one second (a mass import) still makes progress.
 * - A second is only read once it is settled: the domain stops at a horizon a few seconds in
 *   the past. Otherwise a second write to a record within the second we already emitted would
 *   be indistinguishable from the first (same id, same truncated write_date) and be lost; the
 *   same margin covers transactions that commit after their write_date (Odoo stamps the
 *   transaction's start time) as long as they last less than `settleSeconds`.
 * - Create and write are told apart by the known-id set when the caller has one, else by
 *   `create_date == write_date` (a record created and edited before the first poll that sees
 *   it is then reported as a write). The known set only holds records that matched the
 *   subscription's domain, so an unknown record is not necessarily new: see `classifyChange`.
 */
import { normalizeOdooDatetime } from './odoo-datetime.js';
import { hasId, subtractRanges, compressIds, type IdRanges } from './id-ranges.js';

export interface PollCursor {
  /** Second (`YYYY-MM-DD HH:MM:SS`) of the last emitted row; null before the first poll. */
  writeDate: string | null;
  /** Ids already emitted whose write_date falls in that second. */
  idsAtWriteDate: readonly number[];
}

/** Backfill: the first poll reports every existing record as an event. */
export const INITIAL_CURSOR: PollCursor = { writeDate: null, idsAtWriteDate: [] };

/** Only changes from `second` on (e.g. the subscription's start horizon), no backfill. */
export function cursorFrom(second: string): PollCursor {
  const normalized = normalizeOdooDatetime(second);
  if (normalized === null) throw new RangeError(`not an Odoo datetime: ${second}`);
  return { writeDate: normalized, idsAtWriteDate: [] };
}

/** `search_read` order the plan relies on. */
export const POLL_ORDER = 'write_date asc, id asc';
/** Fields the plan needs; add the subscription's own fields to these. */
export const POLL_FIELDS = ['id', 'create_date', 'write_date'] as const;

export type OdooDomain = (string | [string, string, unknown])[];

function nextSecond(second: string): string {
  const t = Date.parse(`${second.replace(' ', 'T')}Z`) + 1000;
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

export const DEFAULT_SETTLE_SECONDS = 5;

/**
 * Upper bound (exclusive, whole second) for the next poll: rows written after it are left
 * for a later poll. `now` should be Odoo's clock (or ours minus the known skew).
 */
export function pollHorizon(now: Date, settleSeconds: number = DEFAULT_SETTLE_SECONDS): string {
  const t = Math.floor(now.getTime() / 1000) * 1000 - settleSeconds * 1000;
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Domain for the next `search_read`: settled rows from the cursor's second on, minus the ids
 * already emitted in that second. Compared at second granularity because the stored value
 * has microseconds (`write_date > '… 09'` would match `… 09.4` again).
 */
export function pollDomain(cursor: PollCursor, horizon: string): OdooDomain {
  const settled: [string, string, unknown] = ['write_date', '<', horizon];
  if (cursor.writeDate === null) return [settled];
  if (cursor.idsAtWriteDate.length === 0) return [settled, ['write_date', '>=', cursor.writeDate]];
  return [
    settled,
    '|',
    ['write_date', '>=', nextSecond(cursor.writeDate)],
    '&',
    ['write_date', '>=', cursor.writeDate],
    ['id', 'not in', [...cursor.idsAtWriteDate]],
  ];
}

export interface PolledRow {
  id: number;
  write_date: string;
  create_date?: string | false;
  [field: string]: unknown;
}

export interface PolledChange {
  recordId: number;
  event: 'create' | 'write';
  /** Normalized to seconds. */
  writeDate: string;
  row: PolledRow;
}

export interface PollBatchInput {
  cursor: PollCursor;
  /** Rows of `search_read(pollDomain(cursor, horizon), POLL_FIELDS…, order: POLL_ORDER, limit)`. */
  rows: readonly PolledRow[];
  limit: number;
  /** Ids the relay has already announced; when given, decides create vs write. Add each
   *  emitted change's id afterwards (`addIds`), as the deletion sweep relies on the same set. */
  knownIds?: IdRanges;
  /** The second `knownIds` was snapshotted at (see classifyChange); null when unknown. */
  knownSince?: string | null;
}

export interface PollBatchPlan {
  changes: PolledChange[];
  nextCursor: PollCursor;
  /** The batch was full: poll again right away rather than waiting for the next tick. */
  more: boolean;
}

/** Events and next cursor for one polled batch. */
export function planPollBatch(input: PollBatchInput): PollBatchPlan {
  const { cursor, rows } = input;
  const seen = new Set(cursor.idsAtWriteDate);
  const changes: PolledChange[] = [];
  let lastSecond = cursor.writeDate;
  let idsAtLast = new Set(cursor.idsAtWriteDate);

  for (const row of rows) {
    const writeDate = normalizeOdooDatetime(row.write_date);
    if (writeDate === null) throw new Error(`row ${row.id} has no usable write_date`);
    if (lastSecond !== null && writeDate < lastSecond) {
      // Also fires for rows before the cursor: the caller did not use pollDomain/POLL_ORDER.
      throw new Error(`rows out of order at id ${row.id}: ${writeDate} after ${lastSecond}`);
    }
    // Tolerates a plain `write_date >= cursor` domain: re-read rows of the cursor's second
    // are skipped here instead of emitted twice.
    if (writeDate === cursor.writeDate && seen.has(row.id)) continue;

    if (writeDate !== lastSecond) {
      lastSecond = writeDate;
      idsAtLast = new Set();
    }
    idsAtLast.add(row.id);
    changes.push({ recordId: row.id, event: eventFor(row, writeDate, input.knownIds, input.knownSince ?? null), writeDate, row });
  }

  return {
    changes,
    nextCursor: { writeDate: lastSecond, idsAtWriteDate: [...idsAtLast].sort((a, b) => a - b) },
    more: rows.length >= input.limit,
  };
}

function eventFor(row: PolledRow, writeDate: string, knownIds: IdRanges | undefined, watermark: string | null): 'create' | 'write' {
  if (knownIds) return classifyChange(row, knownIds, watermark);
  return normalizeOdooDatetime(row.create_date) === writeDate ? 'create' : 'write';
}

/**
 * Create or write, for a record read back after a change. A known record is a write. An
 * unknown one is not necessarily new: the known set holds only records that matched the
 * subscription's domain, so a record a write has just brought into the domain is unknown too
 * (Odoo's own "on update" automation with a filter domain fires when the record matches after
 * the write). Its `create_date` tells: created before `watermark` — the second the known set
 * was snapshotted at — it existed then outside the domain, and this is a write; created after,
 * it is new to the relay, a create.
 *
 * The watermark must not be the poll cursor: a record created at 10:00:00 and written again at
 * 10:00:02, before any poll read 10:00:00, carries write_date 10:00:02 and is first read after
 * the cursor has passed 10:00:00 for other records, so it looked old and a create-only
 * subscription never heard of it. Cheaper than tracking every id of the model, and keeps the
 * deletion sweep to records that were announced. A record without a readable create_date (or
 * without a watermark) counts as new.
 */
export function classifyChange(row: { id: number; create_date?: unknown }, knownIds: IdRanges, watermark: string | null): 'create' | 'write' {
  if (hasId(knownIds, row.id)) return 'write';
  const created = normalizeOdooDatetime(row.create_date);
  return created !== null && watermark !== null && created < watermark ? 'write' : 'create';
}

export interface DeletionSweep {
  /** Known ids no longer present: emit `unlink` for each. */
  deleted: IdRanges;
  /** The known set to store after the sweep (ids seen alive, minus the deleted ones). */
  knownIds: IdRanges;
}

/**
 * Deletions, by comparing the known ids with a fresh id list.
 * `currentIds` must come from `search([], context={active_test: False})`, or archived records
 * look deleted. Take it between two polls, with no poll running until the sweep is applied:
 * a record announced after the snapshot was taken would otherwise look deleted. Ids in the
 * snapshot that the poller has not announced yet are left to the poller (they become creates).
 */
export function sweepDeletions(knownIds: IdRanges, currentIds: Iterable<number> | IdRanges): DeletionSweep {
  const current = isRanges(currentIds) ? currentIds : compressIds(currentIds);
  const deleted = subtractRanges(knownIds, current);
  return { deleted, knownIds: subtractRanges(knownIds, deleted) };
}

function isRanges(value: Iterable<number> | IdRanges): value is IdRanges {
  return Array.isArray(value) && value.length > 0 && Array.isArray(value[0]);
}
