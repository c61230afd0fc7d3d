/**
 * A latency histogram with logarithmic buckets 1% wide from 10 µs to about 10 minutes, small
 * enough to send between processes and merge by adding counts.
 */
const MIN_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / LOG_GROWTH) + 1;

export class Histogram {
  readonly counts: Uint32Array;
  total = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKETS);
    if (counts) {
      for (let i = 0; i < BUCKETS && i < counts.length; i++) {
        this.counts[i] = counts[i]!;
        this.total += counts[i]!;
        if (counts[i]) this.max = upper(i);
      }
    }
  }

  record(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1);
    this.counts[i]!++;
    this.total++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: ArrayLike<number>): void {
    for (let i = 0; i < BUCKETS && i < other.length; i++) {
      const c = other[i]!;
      if (c) {
        this.counts[i]! += c;
        this.total += c;
        this.max = Math.max(this.max, upper(i));
      }
    }
  }

  /** The value below which `p` (0..1) of the samples fall (upper edge of its bucket), or NaN. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upper(i), this.max || upper(i));
    }
    return this.max;
  }

  toArray(): number[] {
    // Trailing zeros are dropped to keep IPC messages short.
    let end = BUCKETS;
    while (end > 0 && this.counts[end - 1] === 0) end--;
    return Array.from(this.counts.subarray(0, end));
  }
}

function upper(i: number): number {
  return i === 0 ? MIN_MS : MIN_MS * Math.pow(GROWTH, i);
}
