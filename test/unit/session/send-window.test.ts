import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../server/log/log.js';
import type { Connection } from '../../../server/session/connection.js';
import type { ServerContext } from '../../../server/session/context.js';
import { Stats } from '../../../server/metrics/stats.js';
import { SendWindow } from '../../../server/session/send-window.js';
import { Session } from '../../../server/session/session.js';
import type { ServerMessage } from '../../../src/wire/server-messages.js';

/**
 * Presence of a big group's members coming and going may wait for the send window so that each
 * socket gets one write per window instead of one per join. What a client sees must not change
 * but for that wait: the order is the order sent, nothing is held past the window or past
 * `maxHeld` frames, and a session that ends or is dropped loses what it held, nothing more.
 */
const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The neighbours a session uses when it sends: the window, the limits, the log, the registries, the statistics. */
function session(window: SendWindow, accept: () => boolean = () => true): { sess: Session; sent: string[]; aborted: () => boolean } {
  const sent: string[] = [];
  let aborted = false;
  const conn: Connection = {
    kind: 'ws',
    remoteAddr: '127.0.0.1',
    send: (m) => (accept() ? (sent.push(label(m)), true) : false),
    close() {},
    abort: () => void (aborted = true),
    pause() {},
    resume() {},
  };
  const nothing = { closed() {}, forget() {}, delete() {}, detachAll() {} };
  const ctx = {
    log,
    sendWindow: window,
    limits: { publishRate: 0, publishBurst: 1 },
    guards: { sessions: nothing },
    backgroundSessions: nothing,
    sessions: nothing,
    hub: nothing,
    stats: new Stats('0.25'),
  } as unknown as ServerContext;
  return { sess: new Session(ctx, conn), sent, aborted: () => aborted };
}

const pres = (src: string, what = 'on'): ServerMessage => ({ pres: { topic: 'grpX', src, what } });
const data = (seq: number): ServerMessage => ({ data: { topic: 'grpX', from: 'usrA', seq, ts: new Date(0), content: 'hi' } });
function label(m: ServerMessage): string {
  if ('pres' in m) return `pres ${m.pres.what} ${m.pres.src}`;
  if ('data' in m) return `data ${m.data.seq}`;
  return Object.keys(m)[0]!;
}

describe('the send window', () => {
  it('holds frames sent soon until the window ends, then writes them in order', async () => {
    const window = new SendWindow(30);
    const a = session(window);
    const b = session(window);
    a.sess.sendSoon(pres('usrB'));
    a.sess.sendSoon(pres('usrC'));
    b.sess.sendSoon(pres('usrD'));
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(a.sent).toEqual(['pres on usrB', 'pres on usrC']);
    expect(b.sent).toEqual(['pres on usrD']);
  });

  it('writes what a session holds before anything sent to it afterwards', () => {
    const window = new SendWindow(1000);
    const a = session(window);
    a.sess.sendSoon(pres('usrB'));
    a.sess.send(data(1));
    a.sess.sendSoon(pres('usrB', 'off'));
    expect(a.sent).toEqual(['pres on usrB', 'data 1']);
    window.flush();
    expect(a.sent).toEqual(['pres on usrB', 'data 1', 'pres off usrB']);
  });

  it('holds at most maxHeld frames per session: the last one writes them all at once', () => {
    const window = new SendWindow(1000, 4);
    const a = session(window);
    for (let i = 0; i < 3; i++) a.sess.sendSoon(pres(`usr${i}`));
    expect(a.sent).toHaveLength(0);
    a.sess.sendSoon(pres('usr3'));
    expect(a.sent).toEqual(['pres on usr0', 'pres on usr1', 'pres on usr2', 'pres on usr3']);
    window.flush();
    expect(a.sent).toHaveLength(4);
  });

  it('sends at once with a window of 0', () => {
    const a = session(new SendWindow(0));
    a.sess.sendSoon(pres('usrB'));
    expect(a.sent).toEqual(['pres on usrB']);
  });

  it('forgets what an ended session held, and drops a session that cannot take what it held', () => {
    const window = new SendWindow(1000);
    const ended = session(window);
    ended.sess.sendSoon(pres('usrB'));
    ended.sess.closed();
    window.flush();
    expect(ended.sent).toEqual([]);

    let room = 1;
    const slow = session(window, () => room-- > 0);
    slow.sess.sendSoon(pres('usrB'));
    slow.sess.sendSoon(pres('usrC'));
    slow.sess.sendSoon(pres('usrD'));
    window.flush();
    expect(slow.sent).toEqual(['pres on usrB']);
    expect(slow.aborted()).toBe(true);
    expect(slow.sess.isEnded).toBe(true);
  });
});
