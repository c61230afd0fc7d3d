/**
 * At most `limit` tasks at once; the others wait their turn, first come first served. Used to
 * keep password hashing (bcrypt on libuv's thread pool) from taking every pool thread: zlib
 * (websocket compression) and file I/O run on the same pool, and a flood of logins would
 * otherwise stall every compressed socket and upload behind it.
 *
 * The wait list needs no bound of its own: each session hands the server one message at a time
 * (its inbound queue is bounded) and sessions are bounded, so at most one waiter per session.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`semaphore limit must be a positive integer, not ${limit}`);
    }
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a turn is free; settles as the task does. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        // The turn passes straight to the next waiter: `running` stays the same.
        next();
      } else {
        this.running--;
      }
    }
  }
}
