/**
 * Background sessions (`{hi bkg:true}`: scripted clients, apps woken by a push) and how they come
 * to the foreground. A background session is attached to topics like any other, but its user is
 * not counted online in them and its presence is not announced, so a session that only checks
 * for new messages and goes away does not flash its user online to every contact. One that stays
 * past the delay becomes an ordinary session: then its topics count it and announce it.
 */

/** The reference's delay before a background session counts as foreground (`deferredNotificationsTimeout`). */
export const DEFAULT_BACKGROUND_MS = 5000;

/** What the sweep needs of a session. */
export interface PromotableSession {
  /** Makes the session a foreground one and tells its topics; nothing once it has ended. */
  toForeground(): void;
}

/**
 * Background sessions waiting for their delay to pass. One sweep brings every due session to the
 * foreground: no timer per session, and no timer at all while none waits. Sessions are promoted
 * at most one sweep period (a second at most) after their delay.
 */
export class BackgroundSessions {
  /** Waiting sessions and when each comes to the foreground (ms); in that order, as the delay is fixed. */
  private readonly waiting = new Map<PromotableSession, number>();
  private timer: NodeJS.Timeout | null = null;

  /** @param delayMs how long a session stays in the background; 0 or less: never (every session is foreground). */
  constructor(readonly delayMs: number) {}

  /** Whether `{hi bkg:true}` makes a session background at all. */
  get enabled(): boolean {
    return this.delayMs > 0;
  }

  /** Number of sessions still in the background. */
  get size(): number {
    return this.waiting.size;
  }

  /** A session said `{hi bkg:true}`: it comes to the foreground after the delay, unless it ends first. */
  wait(sess: PromotableSession): void {
    if (!this.enabled) {
      return;
    }
    this.waiting.set(sess, Date.now() + this.delayMs);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), Math.min(1000, this.delayMs));
      this.timer.unref();
    }
  }

  /** The session ended: it no longer waits. */
  forget(sess: PromotableSession): void {
    if (this.waiting.delete(sess) && this.waiting.size === 0) {
      this.stopTimer();
    }
  }

  /** Stops the sweep (server shutdown); waiting sessions stay in the background. */
  close(): void {
    this.waiting.clear();
    this.stopTimer();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [sess, due] of this.waiting) {
      if (due > now) {
        break;
      }
      this.waiting.delete(sess);
      sess.toForeground();
    }
    if (this.waiting.size === 0) {
      this.stopTimer();
    }
  }

  private stopTimer(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
