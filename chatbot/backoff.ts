/**
 * Exponential backoff between reconnection attempts: `initialMs`, doubling up to `maxMs`, each
 * delay jittered by up to ±20% so that many bots restarted together do not knock in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  /** After a success: start again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
