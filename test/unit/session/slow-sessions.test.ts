import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../server/log/log.js';
import { SerialQueue } from '../../../server/request/serial-queue.js';
import { SlowSessionWatch, type WatchedSession } from '../../../server/session/slow-sessions.js';

/**
 * A session handles its messages in order: one that hangs holds every later message of its
 * client. The watch reports such a message once, with the session, the message and the queue.
 */
describe('slow session watch', () => {
  it('reports a message handled past the limit once, naming the session, the message and what waits', async () => {
    const warnings: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
    const queue = new SerialQueue(() => {});
    const session: WatchedSession = {
      sid: 'sess-1',
      busy: () => {
        const running = queue.running;
        return { running, queued: queue.size - (running ? 1 : 0) };
      },
    };
    let release = () => {};
    const held = queue.push(() => new Promise<void>((r) => (release = r)), () => '{get id=7 topic=p2pX}');
    const after = queue.push(() => {}, '{pub id=8}');
    const watch = new SlowSessionWatch(() => [session], log, 300);
    try {
      await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5000, interval: 50 });
      expect(warnings[0]).toMatch(/^session sess-1: \{get id=7 topic=p2pX\} has been handled for \d+\.\d s; 1 messages wait behind it$/);
      await new Promise((r) => setTimeout(r, 700));
      expect(warnings).toHaveLength(1);
      release();
      await Promise.all([held, after]);
    } finally {
      watch.stop();
    }
  });
});
