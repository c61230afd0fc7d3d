import type { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { Client } from '../request/client.js';
import type { ClientSnapshot } from './messages.js';
import type { NodeOutbox } from './outbox.js';

/** The topics a remote session is attached to here; each change is told to its node. */
class AttachedSet extends Set<string> {
  #notify: ((name: string, attached: boolean) => void) | null = null;

  setListener(fn: (name: string, attached: boolean) => void): void {
    this.#notify = fn;
  }

  override add(name: string): this {
    if (!this.has(name)) {
      super.add(name);
      this.#notify?.(name, true);
    }
    return this;
  }

  override delete(name: string): boolean {
    const had = super.delete(name);
    if (had) this.#notify?.(name, false);
    return had;
  }
}

/**
 * A session of another node, as the topics of this node (its master) see it: what its node said
 * of it with its latest request, and a `send` that publishes to its node, which writes to the
 * session. Attachments are told to its node too, which keeps the session's own `subs`. What goes
 * to one node is gathered in its {@link NodeOutbox}.
 */
export class RemoteClient implements Client {
  readonly sid: string;
  // Set by update(), from the constructor on.
  uid!: Uid;
  authLvl!: AuthLevel;
  background!: boolean;
  userAgent!: string;
  lang!: string;
  countryCode!: string;
  isEnded = false;
  readonly subs: Set<string>;
  readonly #out: NodeOutbox;

  constructor(
    /** The node the session is on. */
    readonly node: string,
    snap: ClientSnapshot,
    out: NodeOutbox,
    /** Whether a topic is being moved off this node (its detach is then a move, not a leave). */
    moving: (name: string) => boolean,
  ) {
    this.sid = snap.sid;
    this.update(snap);
    this.#out = out;
    const subs = new AttachedSet();
    subs.setListener((name, attached) => {
      if (!this.isEnded) out.attachment(this.sid, name, attached, !attached && moving(name));
    });
    this.subs = subs;
  }

  /** What its node says of the session now. */
  update(snap: ClientSnapshot): void {
    this.uid = snap.uid;
    this.authLvl = snap.authLvl;
    this.background = snap.background;
    this.userAgent = snap.userAgent;
    this.lang = snap.lang;
    this.countryCode = snap.countryCode;
  }

  send(msg: ServerMessage): boolean {
    return this.deliver(msg, false);
  }

  sendSoon(msg: ServerMessage): boolean {
    return this.deliver(msg, true);
  }

  private deliver(msg: ServerMessage, soon: boolean): boolean {
    // A link that is down loses the message; the session's node notices and the session moves on.
    if (!this.isEnded) this.#out.message(this.sid, msg, soon);
    return true;
  }
}
