/**
 * A rate limit: `rate` events a second on average, with bursts of up to `burst` at once. A rate
 * of 0 means no limit. Time is passed in (milliseconds) so that tests need no clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token: true when the event is within the limit. */
  take(now = Date.now()): boolean {
    if (this.rate <= 0) {
      return true;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}
