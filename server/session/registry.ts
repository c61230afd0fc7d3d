import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { Uid } from '../../src/model/uid.js';

/**
 * Live sessions by id and by user. What the server needs of a session here: its id, its user
 * (zero before login) and a way to end it with a final message.
 */
export interface RegisteredSession {
  readonly sid: string;
  readonly uid: Uid;
  /** Ends the session, sending `last` first when given. */
  stop(last?: ServerMessage): void;
}

export class SessionRegistry<S extends RegisteredSession = RegisteredSession> {
  private readonly bySid = new Map<string, S>();

  get size(): number {
    return this.bySid.size;
  }

  add(sess: S): void {
    this.bySid.set(sess.sid, sess);
  }

  get(sid: string): S | undefined {
    return this.bySid.get(sid);
  }

  delete(sess: S): void {
    if (this.bySid.get(sess.sid) === sess) {
      this.bySid.delete(sess.sid);
    }
  }

  /** Every session of a user. */
  ofUser(uid: Uid): S[] {
    return [...this.bySid.values()].filter((s) => s.uid === uid);
  }

  all(): S[] {
    return [...this.bySid.values()];
  }

  /** Ends every session of a user except `skipSid`, with `last` as the final message. */
  evictUser(uid: Uid, skipSid: string, last: ServerMessage): void {
    for (const s of this.ofUser(uid)) {
      if (s.sid !== skipSid) {
        this.bySid.delete(s.sid);
        s.stop(last);
      }
    }
  }

  /** Ends every session with `last` (server shutdown). */
  stopAll(last: ServerMessage): number {
    const all = this.all();
    this.bySid.clear();
    for (const s of all) {
      s.stop(last);
    }
    return all.length;
  }
}
