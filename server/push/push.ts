import { ConfigError } from '../../src/config/errors.js';
import type { Logger } from '../log/log.js';
import type { Store } from '../store/store.js';
import { FcmHandler } from './fcm.js';
import type { PushReceipt } from './receipt.js';
import { StdoutHandler } from './stdout.js';

/** A way to deliver pushes: prints them, or sends them to a push service. */
export interface PushHandler {
  readonly name: string;
  push(rcpt: PushReceipt): Promise<void>;
  stop(): void;
}

/**
 * Push notifications (the `push` section): receipts from topics get each recipient's unread
 * count and devices, then go to every enabled handler. Sending never holds up a topic; a full
 * queue drops pushes rather than memory.
 */
export class Push {
  private queue: PushReceipt[] = [];
  private running = false;

  private constructor(
    private readonly handlers: PushHandler[],
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  static create(section: readonly { name: string; config: unknown }[], store: Store, log: Logger): Push {
    const handlers: PushHandler[] = [];
    section.forEach((entry, i) => {
      const conf = (typeof entry.config === 'object' && entry.config !== null ? entry.config : {}) as Record<string, unknown>;
      if (conf.enabled !== true) return;
      switch (entry.name) {
        case 'stdout':
          handlers.push(new StdoutHandler());
          break;
        case 'fcm':
          handlers.push(FcmHandler.create(conf, `push[${i}].config`, store, log));
          break;
        default:
          throw new ConfigError(`push[${i}].name`, `unknown push handler "${entry.name}"`, '"stdout" or "fcm"');
      }
    });
    if (handlers.length > 0) log.info(`push: ${handlers.map((h) => h.name).join(', ')}`);
    return new Push(handlers, store, log);
  }

  get active(): boolean {
    return this.handlers.length > 0;
  }

  /** Queues a receipt (null is ignored). */
  send(rcpt: PushReceipt | null): void {
    if (!rcpt || this.handlers.length === 0) return;
    if (this.queue.length >= 1024) {
      this.log.warn('push: queue full, dropping a notification');
      return;
    }
    this.queue.push(rcpt);
    if (!this.running) void this.drain();
  }

  /** Settles when every queued receipt was handed to the handlers. */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }

  stop(): void {
    for (const h of this.handlers) h.stop();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let rcpt = this.queue.shift(); rcpt; rcpt = this.queue.shift()) {
        try {
          await this.complete(rcpt);
          await Promise.all(this.handlers.map((h) => h.push(rcpt!).catch((err: unknown) => this.log.warn(`push ${h.name}: ${(err as Error).message}`))));
        } catch (err) {
          this.log.warn(`push: ${(err as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Adds unread counts (for the badge) and device tokens. */
  private async complete(rcpt: PushReceipt): Promise<void> {
    const uids = [...rcpt.to.keys()];
    if (uids.length === 0) return;
    const unread = await this.store.users.unreadCount(uids);
    const { devices } = await this.store.devices.getAll(uids);
    for (const [uid, r] of rcpt.to) {
      r.unread = unread.get(uid) ?? 0;
      const devs = devices.get(uid);
      if (devs && devs.length > 0) r.devices = devs.map((d) => d.deviceId);
    }
  }
}
