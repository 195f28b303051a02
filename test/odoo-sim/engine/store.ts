/**
 * Per-model row storage: an id-indexed Map (insertion order = id order) plus inverse indexes
 * on the many2one fields that back a one2many, so reading child_ids or order lines never scans a table.
 */
import type { Row } from './model.js';

export class Table {
  readonly rows = new Map<number, Row>();
  nextId = 1;
  /** Set while a transaction runs: receives how to undo each change (see Orm.transaction). */
  journal: ((undo: () => void) => void) | undefined;
  private readonly indexes = new Map<string, Map<number, Set<number>>>();

  constructor(indexedFields: Iterable<string>) {
    for (const f of indexedFields) this.indexes.set(f, new Map());
  }

  isIndexed(field: string): boolean {
    return this.indexes.has(field);
  }

  /** ids whose `field` is `target`, ascending; undefined when the field has no index. */
  lookup(field: string, target: number): number[] | undefined {
    const index = this.indexes.get(field);
    if (!index) return undefined;
    const set = index.get(target);
    if (!set || set.size === 0) return [];
    const ids = [...set];
    if (ids.length > 1) ids.sort((a, b) => a - b);
    return ids;
  }

  allocateId(): number {
    return this.nextId++;
  }

  insert(row: Row): void {
    this.journal?.(() => this.delete(row.id));
    this.rows.set(row.id, row);
    if (row.id >= this.nextId) this.nextId = row.id + 1;
    for (const [field, index] of this.indexes) addTo(index, row[field], row.id);
  }

  /** Applies already-converted values, keeping indexes in sync. */
  update(row: Row, changes: Record<string, unknown>): void {
    if (this.journal) {
      const old: Record<string, unknown> = {};
      for (const field of Object.keys(changes)) old[field] = row[field];
      this.journal(() => this.update(row, old));
    }
    for (const [field, value] of Object.entries(changes)) {
      const index = this.indexes.get(field);
      if (index && row[field] !== value) {
        removeFrom(index, row[field], row.id);
        addTo(index, value, row.id);
      }
      row[field] = value;
    }
  }

  delete(id: number): void {
    const row = this.rows.get(id);
    if (!row) return;
    this.journal?.(() => this.insert(row));
    for (const [field, index] of this.indexes) removeFrom(index, row[field], id);
    this.rows.delete(id);
  }
}

function addTo(index: Map<number, Set<number>>, target: unknown, id: number) {
  if (typeof target !== 'number') return;
  let set = index.get(target);
  if (!set) index.set(target, (set = new Set()));
  set.add(id);
}

function removeFrom(index: Map<number, Set<number>>, target: unknown, id: number) {
  if (typeof target !== 'number') return;
  index.get(target)?.delete(id);
}
