/**
 * A small seeded pseudo-random generator (sfc32, seeded through a string hash) for the fuzzer.
 * The same seed and labels give the same sequence on every machine and Node version: the fuzzer
 * never calls `Math.random`, and every session draws from its own generator forked by label, so
 * the frames one session sends do not depend on how the others are scheduled.
 */

/** 32-bit hash of a string (xmur3): the seed material of {@link Rng}. */
function hash32(text: string): () => number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

/** One weighted choice: `[weight, value]`. */
export type Weighted<T> = readonly [number, T];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any string; equal seeds give equal sequences. */
  constructor(readonly seed: string) {
    const h = hash32(seed);
    this.a = h();
    this.b = h();
    this.c = h();
    this.d = h();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An independent generator for a named part (a session, a generation of it). */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const r = (t + this.d) | 0;
    this.c = (this.c + r) | 0;
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('pick from an empty list');
    return list[this.int(0, list.length - 1)] as T;
  }

  /** One value by weight. */
  weighted<T>(list: readonly Weighted<T>[]): T {
    let total = 0;
    for (const [w] of list) total += w;
    let x = this.float() * total;
    for (const [w, v] of list) {
      x -= w;
      if (x < 0) return v;
    }
    const last = list[list.length - 1];
    if (!last) throw new Error('weighted choice from an empty list');
    return last[1];
  }

  /** Sizes spread over orders of magnitude: mostly small, sometimes up to `max`. */
  size(max: number): number {
    const bound = Math.min(max, Math.floor(Math.pow(2, this.float() * Math.log2(max + 1))));
    return this.int(0, Math.max(0, bound));
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** A random subsequence of `list`, in order. */
  subset<T>(list: readonly T[]): T[] {
    return list.filter(() => this.chance(0.5));
  }
}
