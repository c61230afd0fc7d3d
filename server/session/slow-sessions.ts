import type { Logger } from '../log/log.js';
import type { RunningTask } from '../request/serial-queue.js';

/** What the watch needs of a session. */
export interface WatchedSession {
  readonly sid: string;
  busy(): { running: RunningTask | null; queued: number };
}

/**
 * Reports a session whose one message has been handled for longer than `slowMs`, once per
 * message: a session handles its messages in order, so everything its client sent after that
 * one waits too. The hub does the same for topics.
 */
export class SlowSessionWatch {
  private readonly reported = new WeakSet<RunningTask>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    sessions: () => Iterable<WatchedSession>,
    private readonly log: Logger,
    private readonly slowMs: number,
  ) {
    this.timer = setInterval(() => this.sweep(sessions()), Math.max(250, Math.min(slowMs / 2, 5000)));
    this.timer.unref();
  }

  private sweep(sessions: Iterable<WatchedSession>): void {
    const now = performance.now();
    for (const s of sessions) {
      const { running, queued } = s.busy();
      if (running && now - running.since >= this.slowMs && !this.reported.has(running)) {
        this.reported.add(running);
        const label = typeof running.label === 'string' ? running.label : running.label();
        this.log.warn(`session ${s.sid}: ${label} has been handled for ${((now - running.since) / 1000).toFixed(1)} s; ${queued} messages wait behind it`);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
