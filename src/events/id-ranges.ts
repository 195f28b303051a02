/**
 * Sets of record ids stored as sorted, disjoint, inclusive ranges: `[[1, 5000], [5002, 5010]]`.
 * Odoo ids come from a sequence, so a model's live ids compress to a handful of ranges, which
 * keeps the poller's "known ids" cheap to store and to compare with a fresh `search([])`.
 */

export type IdRange = readonly [first: number, last: number];
export type IdRanges = readonly IdRange[];

/** Compress any iterable of positive integer ids (duplicates and order don't matter). */
export function compressIds(ids: Iterable<number>): IdRanges {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const id of sorted) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`invalid id: ${id}`);
    const last = ranges.at(-1);
    if (last && id === last[1] + 1) last[1] = id;
    else ranges.push([id, id]);
  }
  return ranges;
}

export function* expandRanges(ranges: IdRanges): Generator<number> {
  for (const [first, last] of ranges) for (let id = first; id <= last; id++) yield id;
}

export function countIds(ranges: IdRanges): number {
  return ranges.reduce((n, [first, last]) => n + last - first + 1, 0);
}

/** Binary search: O(log ranges). */
export function hasId(ranges: IdRanges, id: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = ranges[mid];
    if (id < first) hi = mid - 1;
    else if (id > last) lo = mid + 1;
    else return true;
  }
  return false;
}

export function addIds(ranges: IdRanges, ids: Iterable<number>): IdRanges {
  return compressIds([...expandRanges(ranges), ...ids]);
}

/** Ids in `a` but not in `b`, as ranges; linear in the number of ranges, not of ids. */
export function subtractRanges(a: IdRanges, b: IdRanges): IdRanges {
  const out: [number, number][] = [];
  let j = 0;
  for (const [first, last] of a) {
    let start = first;
    while (j < b.length && b[j][1] < start) j++;
    let k = j;
    while (start <= last) {
      if (k >= b.length || b[k][0] > last) {
        out.push([start, last]);
        break;
      }
      const [bFirst, bLast] = b[k];
      if (bFirst > start) out.push([start, bFirst - 1]);
      start = bLast + 1;
      k++;
    }
  }
  return out;
}
