interface Failures {
  count: number;
  /** Time of the last failure, ms. */
  last: number;
}

/** How a {@link FailureThrottle} counts. */
export interface FailureThrottleOptions {
  /** Failures allowed before the next attempt has to wait. */
  allowed: number;
  /** The longest wait, ms; also how long a key's failures are remembered after the last one. */
  maxWaitMs: number;
  /** Keys remembered at most; the oldest are forgotten first. */
  maxKeys?: number;
}

/** Keys remembered by default: bounds the memory an attacker with many addresses can take. */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * Counts failures (wrong passwords) by key (a login name, a client address) and makes further
 * attempts wait: after `allowed` failures the wait is one second, doubling with each further
 * failure, up to `maxWaitMs`. Attempts made while waiting are refused without being tried, so
 * they cost nothing and do not count. A success forgets the key; so does time.
 */
export class FailureThrottle {
  private readonly keys = new Map<string, Failures>();
  private readonly maxKeys: number;

  constructor(private readonly opts: FailureThrottleOptions) {
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  waitMs(key: string, now = Date.now()): number {
    const f = this.keys.get(key);
    if (!f) {
      return 0;
    }
    if (now - f.last >= this.opts.maxWaitMs) {
      this.keys.delete(key);
      return 0;
    }
    if (f.count < this.opts.allowed) {
      return 0;
    }
    const wait = Math.min(this.opts.maxWaitMs, 1000 * 2 ** Math.min(f.count - this.opts.allowed, 30));
    return Math.max(0, f.last + wait - now);
  }

  /** Records a failure of `key`. */
  fail(key: string, now = Date.now()): void {
    const f = this.keys.get(key) ?? { count: 0, last: now };
    this.keys.delete(key);
    f.count++;
    f.last = now;
    // Re-inserted last: the map's order is the order of last failures, oldest first.
    this.keys.set(key, f);
    if (this.keys.size > this.maxKeys) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
  }

  /** Forgets `key` (it succeeded). */
  succeed(key: string): void {
    this.keys.delete(key);
  }

  /** Forgets keys whose last failure is older than the longest wait. */
  sweep(now = Date.now()): void {
    for (const [key, f] of this.keys) {
      if (now - f.last < this.opts.maxWaitMs) {
        // In order of last failure: the rest are newer.
        break;
      }
      this.keys.delete(key);
    }
  }

  /** Keys remembered now. */
  get size(): number {
    return this.keys.size;
  }
}
