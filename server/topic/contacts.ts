import { parseP2P, userId } from '../../src/model/uid.js';

/**
 * The contact list of a `me` topic for presence: for every topic or p2p peer the user is
 * subscribed to, whether it is online and whether the user wants its presence (P in the mode).
 * `process` applies a presence notification from a contact, as the reference does, and says what
 * (if anything) to tell the user's sessions and whether to answer the sender.
 *
 * Presence verbs between topics: `on`, `off`, `gone`, and the internal `?none` (a new contact,
 * state unknown) and `?unkn` (a new contact asking for our state), optionally with a command
 * `+en` (enable), `+dis` (disable) or `+rem` (remove).
 */
export interface ContactState {
  online: boolean;
  enabled: boolean;
}

export interface PresenceOutcome {
  /** What to tell the user's sessions (`on`, `off`, `gone`...), or '' for nothing. */
  forward: string;
  /** Answer the sender with our own state (`on`, or `off+rem`), or null. */
  reply: { what: string; wantReply: boolean } | null;
}

export class Contacts {
  private readonly subs = new Map<string, ContactState>();

  /** @param self the me topic's own name (`usr…`), never a contact of itself. */
  constructor(private readonly self: string) {}

  /** Adds a contact by subscription topic name (p2p names become the peer's `usr…`). */
  add(topic: string, online: boolean, enabled: boolean): void {
    const key = this.key(topic);
    if (key !== this.self) {
      this.subs.set(key, { online, enabled });
    }
  }

  /** The contact key of a subscription's topic: the peer's `usr…` for p2p, else the name. */
  key(topic: string): string {
    const pair = parseP2P(topic);
    if (!pair) {
      return topic;
    }
    const a = userId(pair[0]);
    return a === this.self ? userId(pair[1]) : a;
  }

  get(key: string): ContactState | undefined {
    return this.subs.get(key);
  }

  set(key: string, state: ContactState): void {
    this.subs.set(key, state);
  }

  delete(key: string): void {
    this.subs.delete(key);
  }

  entries(): IterableIterator<[string, ContactState]> {
    return this.subs.entries();
  }

  /** Applies a presence notification `what` from contact `from`. */
  process(from: string, what: string, wantReply: boolean): PresenceOutcome {
    const [verb = '', cmdRaw = ''] = what.split('+', 2);
    let cmd = cmdRaw;
    let forward = verb;
    let online: boolean | null = false;
    let reqReply = false;
    let onlineUpdate = false;
    switch (verb) {
      case 'on':
        online = true;
        onlineUpdate = true;
        break;
      case 'off':
        break;
      case '?none':
        online = null;
        forward = '';
        break;
      case 'gone':
        cmd = 'rem';
        break;
      case '?unkn':
        online = null;
        reqReply = true;
        forward = '';
        break;
      default:
        // Not a contact-state verb (upd, acs, msg, read...): passes through unchanged.
        return { forward: what, reply: null };
    }
    let replyAs = 'on';
    const psd = this.subs.get(from);
    if (psd) {
      if (cmd === 'rem') {
        replyAs = 'off+rem';
        if (!psd.enabled && verb === 'off') {
          forward = '';
        }
        this.subs.delete(from);
      } else {
        if (cmd === '') {
          if (!psd.enabled || online === null || psd.online === online) {
            forward = '';
          }
        } else if (cmd === 'en') {
          if (!psd.enabled) {
            psd.enabled = true;
          } else if (online === null || psd.online === online) {
            forward = '';
          }
        } else if (cmd === 'dis') {
          if (psd.enabled) {
            psd.enabled = false;
            if (!psd.online) {
              forward = '';
            }
          } else {
            forward = '';
          }
        }
        if (!psd.enabled) {
          psd.online = false;
        } else if (online !== null) {
          psd.online = online;
        }
      }
    } else if (cmd !== 'rem') {
      this.add(from, onlineUpdate, cmd === 'en');
      if (cmd !== 'en') {
        forward = '';
      }
    } else {
      forward = '';
    }
    const reply = (onlineUpdate || reqReply) && wantReply ? { what: replyAs, wantReply: reqReply } : null;
    return { forward, reply };
  }
}
