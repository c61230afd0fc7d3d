import type { Range } from './types.js';

/**
 * Seq id ranges. A {@link Range} is [low, hi) with `hi` 0 meaning the single id `low`.
 */

/** The exclusive upper end of a range. */
export function rangeEnd(r: Range): number {
  return r.hi === 0 ? r.low + 1 : r.hi;
}

/** Sorts by low ascending (wider first on ties) and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.low - b.low || rangeEnd(b) - rangeEnd(a));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.low <= rangeEnd(last)) {
      const end = Math.max(rangeEnd(last), rangeEnd(r));
      last.hi = end === last.low + 1 ? 0 : end;
    } else {
      out.push({ low: r.low, hi: rangeEnd(r) === r.low + 1 ? 0 : rangeEnd(r) });
    }
  }
  return out;
}

/** Turns sorted ids into ranges: [1,2,3,5] → [{1,4},{5,0}]. */
export function idsToRanges(ids: number[]): Range[] {
  const out: Range[] = [];
  for (const id of ids) {
    const last = out[out.length - 1];
    if (last && id === rangeEnd(last)) {
      last.hi = id + 1;
    } else if (!last || id > rangeEnd(last)) {
      out.push({ low: id, hi: 0 });
    }
  }
  return out;
}
