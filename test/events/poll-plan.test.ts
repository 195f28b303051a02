import { describe, expect, it } from 'vitest';
import {
  addIds,
  compressIds,
  countIds,
  expandRanges,
  hasId,
  subtractRanges,
  type IdRanges,
} from '../../src/events/id-ranges.js';
import {
  cursorFrom,
  INITIAL_CURSOR,
  planPollBatch,
  pollDomain,
  pollHorizon,
  sweepDeletions,
  type OdooDomain,
  type PollCursor,
  type PolledChange,
  type PolledRow,
} from '../../src/events/poll-plan.js';

/**
 * A tiny stand-in for an Odoo table: stores write_date with microseconds like PostgreSQL,
 * returns it truncated to seconds like RPC reads, evaluates the prefix-notation domains
 * pollDomain builds, orders by `write_date asc, id asc`.
 */
class FakeTable {
  rows = new Map<number, { create: string; write: string; version: number }>();
  private nextId = 1;
  private clockUs = Date.parse('2026-11-24T13:31:00Z') * 1000;

  advance(us: number) {
    this.clockUs += us;
  }
  now(): Date {
    return new Date(Math.floor(this.clockUs / 1000));
  }
  private stamp(): string {
    const ms = Math.floor(this.clockUs / 1000);
    const micro = String(this.clockUs % 1_000_000).padStart(6, '0');
    return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${micro}`;
  }
  create(): number {
    const id = this.nextId++;
    const t = this.stamp();
    this.rows.set(id, { create: t, write: t, version: 1 });
    return id;
  }
  write(id: number) {
    const row = this.rows.get(id)!;
    row.write = this.stamp();
    row.version += 1;
  }
  unlink(id: number) {
    this.rows.delete(id);
  }
  searchRead(domain: OdooDomain, limit: number): PolledRow[] {
    return [...this.rows.entries()]
      .filter(([id, r]) => evaluate(domain, id, r.write))
      .sort(([ia, a], [ib, b]) => (a.write < b.write ? -1 : a.write > b.write ? 1 : ia - ib))
      .slice(0, limit)
      .map(([id, r]) => ({ id, create_date: r.create.slice(0, 19), write_date: r.write.slice(0, 19), version: r.version }));
  }
}

function evaluate(domain: OdooDomain, id: number, writeDate: string): boolean {
  let i = 0;
  const term = (): boolean => {
    const t = domain[i++];
    if (t === '|') { const a = term(); const b = term(); return a || b; }
    if (t === '&') { const a = term(); const b = term(); return a && b; }
    if (typeof t === 'string') throw new Error(`operator ${t}`);
    const [field, op, value] = t;
    const left: unknown = field === 'id' ? id : writeDate;
    switch (op) {
      case '>=': return (left as string) >= (value as string);
      case '<': return (left as string) < (value as string);
      case 'not in': return !(value as number[]).includes(left as number);
      default: throw new Error(`op ${op}`);
    }
  };
  let result = true;
  while (i < domain.length) result = term() && result; // implicit AND at top level
  return result;
}

/** Poll until caught up, as a worker would; returns the emitted changes. */
function pollAll(table: FakeTable, state: { cursor: PollCursor; known: IdRanges }, limit: number, settle = 0) {
  const emitted: PolledChange[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const horizon = pollHorizon(table.now(), settle);
    const rows = table.searchRead(pollDomain(state.cursor, horizon), limit);
    const plan = planPollBatch({ cursor: state.cursor, rows, limit, knownIds: state.known });
    emitted.push(...plan.changes);
    state.known = addIds(state.known, plan.changes.map((c) => c.recordId));
    state.cursor = plan.nextCursor;
    if (!plan.more) return emitted;
  }
  throw new Error('poller made no progress');
}

describe('pollDomain', () => {
  it.each<[string, PollCursor, OdooDomain]>([
    ['first poll', INITIAL_CURSOR, [['write_date', '<', '2026-11-24 13:31:05']]],
    [
      'cursor without ids',
      { writeDate: '2026-11-24 13:30:00', idsAtWriteDate: [] },
      [['write_date', '<', '2026-11-24 13:31:05'], ['write_date', '>=', '2026-11-24 13:30:00']],
    ],
    [
      'cursor with ids at its second',
      { writeDate: '2026-11-24 13:30:59', idsAtWriteDate: [4, 7] },
      [
        ['write_date', '<', '2026-11-24 13:31:05'],
        '|',
        ['write_date', '>=', '2026-11-24 13:31:00'],
        '&',
        ['write_date', '>=', '2026-11-24 13:30:59'],
        ['id', 'not in', [4, 7]],
      ],
    ],
  ])('%s', (_name, cursor, expected) => {
    expect(pollDomain(cursor, '2026-11-24 13:31:05')).toEqual(expected);
  });

  it('settles a few seconds behind now', () => {
    expect(pollHorizon(new Date('2026-11-24T13:31:09.807Z'))).toBe('2026-11-24 13:31:04');
    expect(pollHorizon(new Date('2026-11-24T13:31:09.807Z'), 0)).toBe('2026-11-24 13:31:09');
  });

  it('cursorFrom starts at a second without backfill', () => {
    expect(cursorFrom('2026-11-24 13:31:09.420766')).toEqual({ writeDate: '2026-11-24 13:31:09', idsAtWriteDate: [] });
    expect(() => cursorFrom('later')).toThrow(RangeError);
  });
});

describe('planPollBatch', () => {
  const row = (id: number, write: string, create = '2026-01-01 00:00:00'): PolledRow => ({ id, write_date: write, create_date: create });

  it('tells create from write by create_date == write_date without a known set', () => {
    const plan = planPollBatch({
      cursor: INITIAL_CURSOR,
      rows: [row(3, '2026-11-24 13:31:09', '2026-11-24 13:31:09'), row(1, '2026-11-24 13:31:10')],
      limit: 10,
    });
    expect(plan.changes.map((c) => [c.recordId, c.event])).toEqual([[3, 'create'], [1, 'write']]);
    expect(plan.nextCursor).toEqual({ writeDate: '2026-11-24 13:31:10', idsAtWriteDate: [1] });
    expect(plan.more).toBe(false);
  });

  it('prefers the known set when given', () => {
    const plan = planPollBatch({
      cursor: INITIAL_CURSOR,
      rows: [row(3, '2026-11-24 13:31:09', '2026-11-24 13:31:09'), row(1, '2026-11-24 13:31:10')],
      limit: 10,
      knownIds: compressIds([3]),
    });
    expect(plan.changes.map((c) => [c.recordId, c.event])).toEqual([[3, 'write'], [1, 'create']]);
  });

  it('calls an unknown record created before the known set was taken a write: it entered the domain', () => {
    const plan = planPollBatch({
      cursor: { writeDate: '2026-11-24 13:31:00', idsAtWriteDate: [] },
      rows: [
        row(7, '2026-11-24 13:31:09', '2026-05-01 08:00:00'), // existed, written into the domain
        row(8, '2026-11-24 13:31:09', '2026-11-24 13:31:05'), // created since the known set was taken
        row(3, '2026-11-24 13:31:10', '2026-05-01 08:00:00'), // known
      ],
      limit: 10,
      knownIds: compressIds([3]),
      knownSince: '2026-11-24 13:00:00',
    });
    expect(plan.changes.map((c) => [c.recordId, c.event])).toEqual([[7, 'write'], [8, 'create'], [3, 'write']]);
  });

  it('calls a record created, then written again before any poll read it, a create, though the cursor has passed its creation', () => {
    // Q written at :01 was read first and moved the cursor past P's creation at :00; P's own
    // write at :02 hid that creation from the poll that read :01.
    const plan = planPollBatch({
      cursor: { writeDate: '2026-11-24 13:31:01', idsAtWriteDate: [45] },
      rows: [row(46, '2026-11-24 13:31:02', '2026-11-24 13:31:00')],
      limit: 10,
      knownIds: compressIds([45]),
      knownSince: '2026-11-24 13:30:00',
    });
    expect(plan.changes.map((c) => [c.recordId, c.event])).toEqual([[46, 'create']]);
  });

  it('skips rows of the cursor second already emitted (plain >= domain) and keeps their ids', () => {
    const cursor = { writeDate: '2026-11-24 13:31:09', idsAtWriteDate: [5, 9] };
    const plan = planPollBatch({
      cursor,
      rows: [row(5, '2026-11-24 13:31:09'), row(9, '2026-11-24 13:31:09'), row(2, '2026-11-24 13:31:09')],
      limit: 3,
    });
    expect(plan.changes.map((c) => c.recordId)).toEqual([2]);
    expect(plan.nextCursor).toEqual({ writeDate: '2026-11-24 13:31:09', idsAtWriteDate: [2, 5, 9] });
    expect(plan.more).toBe(true);
  });

  it('keeps the cursor when nothing new arrived', () => {
    const cursor = { writeDate: '2026-11-24 13:31:09', idsAtWriteDate: [5] };
    expect(planPollBatch({ cursor, rows: [], limit: 10 })).toEqual({ changes: [], nextCursor: cursor, more: false });
  });

  it('refuses rows that are out of order or before the cursor', () => {
    expect(() =>
      planPollBatch({ cursor: INITIAL_CURSOR, rows: [row(1, '2026-11-24 13:31:10'), row(2, '2026-11-24 13:31:09')], limit: 10 }),
    ).toThrow(/out of order/);
    expect(() =>
      planPollBatch({ cursor: cursorFrom('2026-11-24 13:31:10'), rows: [row(1, '2026-11-24 13:31:09')], limit: 10 }),
    ).toThrow(/out of order/);
  });
});

describe('polling a live table', () => {
  it('emits a mass import sharing one second exactly once across batch boundaries', () => {
    const table = new FakeTable();
    for (let i = 0; i < 250; i++) table.create(); // one transaction: same write_date
    table.advance(2_000_000);
    const state = { cursor: INITIAL_CURSOR, known: [] as IdRanges };
    const emitted = pollAll(table, state, 100);
    expect(emitted).toHaveLength(250);
    expect(new Set(emitted.map((c) => c.recordId)).size).toBe(250);
    expect(emitted.every((c) => c.event === 'create')).toBe(true);
    expect(pollAll(table, state, 100)).toEqual([]);
  });

  it('sees a record again when it is written after being emitted', () => {
    const table = new FakeTable();
    const a = table.create();
    table.advance(3_000_000);
    const state = { cursor: INITIAL_CURSOR, known: [] as IdRanges };
    expect(pollAll(table, state, 10).map((c) => [c.recordId, c.event])).toEqual([[a, 'create']]);
    table.advance(1_500_000);
    table.write(a);
    table.advance(3_000_000);
    expect(pollAll(table, state, 10).map((c) => [c.recordId, c.event])).toEqual([[a, 'write']]);
  });

  // Without the settled horizon this fails: a second write within an emitted second is lost.
  it('misses nothing and doubles nothing under random interleavings (property)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let run = 0; run < 30; run++) {
      const table = new FakeTable();
      const state = { cursor: INITIAL_CURSOR, known: [] as IdRanges };
      const lastEmitted = new Map<number, number>(); // id → version seen in the emitted row
      const emittedKeys = new Set<string>();
      const settle = 2;
      const limit = 1 + Math.floor(rand() * 7);
      for (let step = 0; step < 120; step++) {
        const r = rand();
        if (r < 0.35 || table.rows.size === 0) table.create();
        else if (r < 0.8) table.write(1 + Math.floor(rand() * (table.rows.size)));
        // Many operations inside one second, sometimes a jump of a few seconds.
        table.advance(rand() < 0.8 ? Math.floor(rand() * 300_000) : 2_000_000 + Math.floor(rand() * 2_000_000));
        if (rand() < 0.3) {
          for (const c of pollAll(table, state, limit, settle)) {
            const version = c.row.version as number;
            const key = `${c.recordId}@${version}`;
            expect(emittedKeys.has(key), `doubled ${key}`).toBe(false);
            emittedKeys.add(key);
            lastEmitted.set(c.recordId, version);
          }
        }
      }
      table.advance(settle * 1_000_000 + 1_000_000);
      for (const c of pollAll(table, state, limit, settle)) lastEmitted.set(c.recordId, c.row.version as number);
      // Every record's final state has been announced.
      for (const [id, row] of table.rows) expect(lastEmitted.get(id), `record ${id}`).toBe(row.version);
      expect(countIds(state.known)).toBe(table.rows.size);
    }
  });
});

describe('sweepDeletions', () => {
  it('reports known ids missing from the fresh list and forgets them', () => {
    const known = compressIds([1, 2, 3, 4, 5, 8, 9, 10]);
    const sweep = sweepDeletions(known, [1, 2, 4, 5, 9, 10, 11]);
    expect([...expandRanges(sweep.deleted)]).toEqual([3, 8]);
    expect(sweep.knownIds).toEqual([[1, 2], [4, 5], [9, 10]]);
  });

  it('accepts compressed ranges for the fresh list and handles empty sets', () => {
    expect(sweepDeletions([[1, 1000]], [[1, 499], [501, 1000]]).deleted).toEqual([[500, 500]]);
    expect(sweepDeletions([], [1, 2]).deleted).toEqual([]);
    expect(sweepDeletions([[1, 3]], []).deleted).toEqual([[1, 3]]);
  });
});

describe('id ranges', () => {
  it('compresses, tests membership and expands', () => {
    const ranges = compressIds([5, 3, 4, 10, 1, 4, 11]);
    expect(ranges).toEqual([[1, 1], [3, 5], [10, 11]]);
    expect(countIds(ranges)).toBe(6);
    expect([0, 1, 2, 3, 5, 6, 10, 11, 12].map((id) => hasId(ranges, id))).toEqual([false, true, false, true, true, false, true, true, false]);
    expect([...expandRanges(ranges)]).toEqual([1, 3, 4, 5, 10, 11]);
    expect(addIds(ranges, [2, 6])).toEqual([[1, 6], [10, 11]]);
    expect(() => compressIds([0])).toThrow(RangeError);
  });

  it('subtracts like a set difference (property)', () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      const a = Array.from({ length: Math.floor(rand() * 40) }, () => 1 + Math.floor(rand() * 60));
      const b = Array.from({ length: Math.floor(rand() * 40) }, () => 1 + Math.floor(rand() * 60));
      const expected = [...new Set(a)].filter((x) => !b.includes(x)).sort((x, y) => x - y);
      expect([...expandRanges(subtractRanges(compressIds(a), compressIds(b)))]).toEqual(expected);
    }
  });
});
