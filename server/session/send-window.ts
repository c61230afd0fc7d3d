/**
 * Frames that may wait a moment: presence about members of a big group coming and going. A
 * session holds such frames (in order) until the window ends, then writes them together; each
 * socket then gets one write for every join of the window instead of one per join, which is what
 * makes joins into a group of a thousand cost O(members) writes per window rather than per join.
 * Anything sent to a session directly first writes what it holds, so the order a client sees is
 * the order the server sent in.
 */

/** Something with frames held until the window ends. */
export interface HoldsFrames {
  /** Writes the held frames now (nothing if none or if it has ended). */
  flushHeld(): void;
}

export class SendWindow {
  private readonly waiting = new Set<HoldsFrames>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param ms how long a frame may be held (`limits.presence_batch_ms`); 0 holds nothing.
   * @param maxHeld the most frames one session holds (`limits.presence_batch_frames`):
   *   reaching it writes them at once.
   */
  constructor(
    readonly ms: number,
    readonly maxHeld = 64,
  ) {}

  /** `h` holds frames: they are written when the window ends. */
  add(h: HoldsFrames): void {
    this.waiting.add(h);
    this.timer ??= setTimeout(() => this.flush(), this.ms);
  }

  /** Ends the window now: every held frame is written. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const all = [...this.waiting];
    this.waiting.clear();
    for (const h of all) h.flushHeld();
  }
}
