import { MODE_NONE, MODE_PRES, MODE_READ, type DefaultAccess } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import type { TopicEnv } from './env.js';
import { SerialQueue, type RunningTask } from '../request/serial-queue.js';
import { errorReply } from '../request/error-reply.js';
import type { Request } from '../request/request.js';
import type { Client } from '../request/client.js';
import type { Routed } from './routed.js';

/** Topic categories, as the first letters of their names say. */
export type TopicCat = 'me' | 'fnd' | 'p2p' | 'grp' | 'sys' | 'slf';

/** What a topic keeps about each subscribed user. */
export interface PerUser {
  /** Attached foreground sessions of the user. */
  online: number;
  recvId: number;
  readId: number;
  delId: number;
  private: unknown;
  modeWant: number;
  modeGiven: number;
  /** p2p: the other user's public and trusted values, and when that user was last seen. */
  public?: unknown;
  trusted?: unknown;
  lastSeen?: { when: Date; ua: string } | null;
  /** p2p: the topic's name as this user sees it (the peer's `usr…`). */
  topicName?: string;
  /** The subscription was deleted; kept to answer about it. */
  deleted: boolean;
  /** A channel reader (subscribed as `chn…`). */
  isChan: boolean;
}

/** What a topic keeps about each attached session. */
export interface PerSession {
  uid: Uid;
  isChanSub: boolean;
  /** The session counts in its user's `online`: it was in the foreground when attached, or came there since. */
  counted: boolean;
}

/**
 * What a request leaves for after its turn in the topic's inbox: a read of the store that
 * changes nothing in the topic (a page of history), so that the reads of one topic overlap with
 * each other and with the topic's other work. Checks are made in the inbox, before.
 */
export type AfterInbox = () => Promise<void>;

/** Optional filters of a broadcast. */
export interface BroadcastFilter {
  skipSid?: string | undefined;
  singleUser?: string | undefined;
  excludeUser?: string | undefined;
  filterIn?: number | undefined;
  filterOut?: number | undefined;
  skipTopic?: string | undefined;
  /**
   * The frame may wait for the send window (`limits.presence_batch_ms`) when it goes to at least
   * `limits.presence_batch_sessions` attached sessions: presence of members coming and going.
   */
  soon?: boolean | undefined;
}

/** Why a topic stops. */
export type UnloadReason = 'idle' | 'shutdown' | 'deleted' | 'moved';

/**
 * One live topic: the state of its subscribers and attached sessions, and an inbox that runs
 * every operation on the topic one at a time. Kinds (me, fnd, p2p, group...) extend it; the
 * operations themselves live in files named after them.
 */
export abstract class Topic {
  abstract readonly cat: TopicCat;
  created = new Date(0);
  updated = new Date(0);
  touched = new Date(0);
  lastId = 0;
  delId = 0;
  /**
   * Group topics: the member count shown as `subcnt`, every live subscription including channel
   * readers, kept equal to the stored count (the reference's `topics.subcnt` recount).
   */
  subCnt = 0;
  owner: Uid = 0n;
  access: DefaultAccess = { auth: MODE_NONE, anon: MODE_NONE };
  tags: string[] = [];
  public: unknown = null;
  trusted: unknown = null;
  readonly perUser = new Map<Uid, PerUser>();
  readonly sessions = new Map<Client, PerSession>();
  /** When the last session left (ms), or null while sessions are attached. */
  idleSince: number | null = null;
  isStopping = false;
  protected readonly queue: SerialQueue;

  constructor(
    readonly env: TopicEnv,
    /** Routable name: `usr…` for me, `fnd…`, `p2p…`, `grp…`, `sys`, `slf…`. */
    readonly name: string,
    /** The name as the subscribing client wrote it (`me`, `fnd`, `grp…`). */
    readonly xoriginal: string,
  ) {
    this.queue = new SerialQueue((err) => env.log.error(`topic ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  }

  /** Loads the topic's state from the store; the first subscription follows. */
  abstract init(req: Request<SubMsg>): Promise<void>;

  /** Whether the topic is also a channel (group topics only). */
  isChannel(): boolean {
    return false;
  }

  /** The name of the topic as `uid` knows it. */
  original(_uid: Uid): string {
    return this.xoriginal;
  }

  /**
   * Whether a user may reach this topic at all, whatever the request: a user's own `me`, `fnd`
   * and `slf`, the two users of a p2p topic, anyone for groups and `sys` (their access modes
   * decide). Names are resolved per user before a request gets here; this is the second lock.
   */
  reachableBy(_uid: Uid): boolean {
    return true;
  }

  /** The mode a user at the given level gets by default. */
  accessFor(level: AuthLevel): number {
    switch (level) {
      case AuthLevel.ANON:
        return this.access.anon;
      case AuthLevel.AUTH:
        return this.access.auth;
      case AuthLevel.ROOT:
        return this.rootAccess();
      default:
        return MODE_NONE;
    }
  }

  /** The default mode of root users. */
  protected abstract rootAccess(): number;

  /** want & given of a user; 0 when not subscribed. */
  modeOf(uid: Uid): number {
    const pud = this.perUser.get(uid);
    return pud ? pud.modeWant & pud.modeGiven : MODE_NONE;
  }

  // ---- entry points: each runs in the inbox, in order ----

  /**
   * `{sub}`: the reply and the embedded `get` answers go to the request's session. False, with
   * nothing sent, when the topic turned out to be stopping: the hub loads it anew and asks again.
   */
  async subscribe(req: Request<SubMsg>): Promise<boolean> {
    let stopped = false;
    await this.run(req, () => this.handleSubscribe(req), () => (stopped = true));
    return !stopped;
  }

  leave(req: Request<LeaveMsg>): Promise<void> {
    return this.run(req, () => this.handleLeave(req));
  }

  meta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void> {
    return this.run(req, () => this.handleMeta(req));
  }

  publish(req: Request<PubMsg>): Promise<void> {
    return this.run(req, () => this.handlePublish(req));
  }

  note(req: Request<NoteMsg>): Promise<void> {
    return this.queue.push(() => (this.reachableBy(req.asUser) ? this.handleNote(req) : undefined), () => requestLabel(req));
  }

  /** Presence or info from another topic. */
  serverMessage(msg: Routed): void {
    void this.queue.push(() => this.handleServerMessage(msg), msg.kind === 'pres' ? 'routed pres' : 'routed info');
  }

  /** A session went away without `{leave}`. */
  sessionGone(sess: Client): void {
    void this.queue.push(() => this.detach(sess, false), () => `detach of gone session ${sess.sid}`);
  }

  /** An attached background session came to the foreground: count it online and announce it. */
  sessionToForeground(sess: Client): void {
    void this.queue.push(() => this.promote(sess), () => `foreground of session ${sess.sid}`);
  }

  /** The session made a request (its user agent counts as the user's latest). */
  userAgentSeen(_sess: Client): void {}

  /**
   * Stops the topic: it tells whom it must and detaches every session. `moved`: another node of
   * the cluster serves it now (its sessions attach there; nobody is told it went offline).
   */
  unload(reason: UnloadReason, skipSid?: string): Promise<void> {
    this.isStopping = true;
    return this.queue.push(async () => {
      await this.onUnload(reason, skipSid);
      for (const sess of this.sessions.keys()) {
        sess.subs.delete(this.name);
      }
      this.sessions.clear();
      this.env.host.remove(this);
    }, () => `unload (${reason})`);
  }

  /** Work the topic starts itself (a timer's) runs in its inbox, in turn with requests. */
  enqueue(task: () => Promise<void> | void, label: string): void {
    void this.queue.push(task, label);
  }

  /** The operation running in the inbox now, and how many wait behind it. */
  busy(): { running: RunningTask | null; queued: number } {
    const running = this.queue.running;
    return { running, queued: this.queue.size - (running ? 1 : 0) };
  }

  /**
   * Runs a request in the inbox; an error becomes its reply. What the request leaves for after
   * the inbox (a read that changes nothing in the topic) runs once its turn is over, and the
   * returned promise settles when that is done too: the session still takes its next message
   * only after this one is answered.
   */
  private async run(req: Request, fn: () => Promise<void | AfterInbox>, onStopping?: () => void): Promise<void> {
    let after: AfterInbox | undefined;
    await this.queue.push(async () => {
      if (this.isStopping) {
        if (onStopping) onStopping();
        else req.sess.send(reply('locked', req.msg.id, req.original, req.ts));
        return;
      }
      try {
        if (!this.reachableBy(req.asUser)) {
          this.env.log.warn(`topic ${this.name}: refused ${req.msg.type} from ${userId(req.asUser)}, not a user of this topic`);
          throw new ProtocolError('topicNotFound');
        }
        after = (await fn()) ?? undefined;
      } catch (err) {
        this.refuse(req, err);
      }
    }, () => requestLabel(req));
    if (after) {
      try {
        await after();
      } catch (err) {
        this.refuse(req, err);
      }
    }
  }

  private refuse(req: Request, err: unknown): void {
    if (!(err instanceof ProtocolError)) {
      this.env.log.warn(`topic ${this.name}: ${req.msg.type} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    req.sess.send(errorReply(err, req.msg.id, req.original, req.ts));
  }

  // ---- operations the kinds implement ----

  protected abstract handleSubscribe(req: Request<SubMsg>): Promise<void>;
  protected abstract handleLeave(req: Request<LeaveMsg>): Promise<void>;
  /** May leave a read for after the inbox ({@link AfterInbox}). */
  protected abstract handleMeta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void | AfterInbox>;

  /** Publishing needs W, which `me` and `fnd` never give. */
  protected handlePublish(_req: Request<PubMsg>): Promise<void> {
    throw new ProtocolError('permissionDenied');
  }

  protected async handleNote(_req: Request<NoteMsg>): Promise<void> {}

  protected abstract handleServerMessage(msg: Routed): Promise<void>;

  /**
   * What a kind does when an attached session's user comes online through it after the session
   * left the background (the count is done): the announcements a foreground subscription makes.
   */
  protected async onForeground(_sess: Client, _uid: Uid): Promise<void> {}

  /** Detaches a session (after `{leave}` or when it went away); `reply` when a request waits. */
  protected abstract detach(sess: Client, byRequest: boolean): Promise<void>;

  protected abstract onUnload(reason: UnloadReason, skipSid?: string): Promise<void>;

  // ---- sessions ----

  /** Attaches a session for a user; counts it online unless it is a background session. */
  addSession(sess: Client, uid: Uid, isChanSub: boolean): void {
    if (sess.isEnded) {
      // It went away while its request waited in the inbox: nothing would ever detach it.
      return;
    }
    if (!this.sessions.has(sess)) {
      const counted = !sess.background;
      this.sessions.set(sess, { uid, isChanSub, counted });
      sess.subs.add(this.name);
      const pud = this.perUser.get(uid);
      if (pud && counted) {
        pud.online++;
      }
    }
    this.idleSince = null;
  }

  /** Whether an attached session counts its user online (it is not a background one). */
  isCounted(sess: Client): boolean {
    return this.sessions.get(sess)?.counted === true;
  }

  /**
   * Detaches a session; returns its user, whether it was attached as a channel reader and whether
   * it counted online (it was not in the background), or null when it was not attached.
   */
  removeSession(sess: Client): Readonly<PerSession> | null {
    const pssd = this.sessions.get(sess);
    if (!pssd) {
      return null;
    }
    this.sessions.delete(sess);
    sess.subs.delete(this.name);
    const pud = this.perUser.get(pssd.uid);
    if (pud && pssd.counted && pud.online > 0) {
      pud.online--;
    }
    if (this.sessions.size === 0 && this.cat !== 'sys') {
      this.idleSince = Date.now();
    }
    return pssd;
  }

  /** The most recently active attached session of the topic, if any. */
  sessionOf(uid: Uid): Client | undefined {
    for (const [s, p] of this.sessions) {
      if (p.uid === uid) {
        return s;
      }
    }
    return undefined;
  }

  /** Whether a user gets presence: P in want & given, or the notification is about access. */
  protected passesPresence(uid: Uid, what: string, f: BroadcastFilter): boolean {
    const mode = this.modeOf(uid);
    return (
      ((mode & MODE_PRES) !== 0 || what === 'gone' || what === 'acs') &&
      (!f.filterIn || (mode & f.filterIn) !== 0) &&
      (!f.filterOut || (mode & f.filterOut) === 0)
    );
  }

  /**
   * Sends a message to attached sessions, with the filters of presence and info. Sessions that
   * cannot keep up are dropped. `perUser` adjusts the message per recipient (p2p names).
   */
  broadcast(msg: ServerMessage, f: BroadcastFilter = {}, perUser?: (uid: Uid, isChanSub: boolean) => ServerMessage): void {
    // No copy of the map: a session dropped by a failed send is deleted from it, which a Map's
    // iteration tolerates, and a copy per broadcast is O(members) garbage for every join.
    const { presenceBatchMs, presenceBatchSessions } = this.env.limits;
    const soon = f.soon === true && presenceBatchMs > 0 && this.sessions.size >= presenceBatchSessions;
    for (const [sess, pssd] of this.sessions) {
      if (f.skipSid && sess.sid === f.skipSid) continue;
      if ('pres' in msg) {
        if (f.skipTopic && sess.subs.has(f.skipTopic)) continue;
        if (f.singleUser && userId(pssd.uid) !== f.singleUser) continue;
        if (f.excludeUser && userId(pssd.uid) === f.excludeUser) continue;
        if (!this.passesPresence(pssd.uid, msg.pres.what, f)) continue;
      } else if ('info' in msg) {
        if (f.skipTopic && sess.subs.has(f.skipTopic)) continue;
        if (!msg.info.src && (pssd.isChanSub || (this.modeOf(pssd.uid) & MODE_READ) === 0)) continue;
        if (msg.info.what === 'kp' && msg.info.from === userId(pssd.uid)) continue;
      } else if ((this.modeOf(pssd.uid) & MODE_READ) === 0 && !pssd.isChanSub) {
        continue;
      }
      const m = perUser ? perUser(pssd.uid, pssd.isChanSub) : msg;
      if (soon) sess.sendSoon(m);
      else sess.send(m);
    }
  }

  /** Whether any foreground session is attached. */
  isOnline(): boolean {
    for (const p of this.sessions.values()) {
      if (p.counted) {
        return true;
      }
    }
    return false;
  }

  /** Counts a session that came to the foreground, once, if it is still attached. */
  private async promote(sess: Client): Promise<void> {
    const pssd = this.sessions.get(sess);
    if (!pssd || pssd.counted || this.isStopping) {
      return;
    }
    pssd.counted = true;
    const pud = this.perUser.get(pssd.uid);
    if (pud) {
      pud.online++;
    }
    await this.onForeground(sess, pssd.uid);
  }
}

/** How a slow-task report names a request: `{set id=12} of usr… (session …)`. */
function requestLabel(req: Request): string {
  const id = req.msg.id ? ` id=${req.msg.id}` : '';
  return `{${req.msg.type}${id}} of ${userId(req.asUser)} (session ${req.sess.sid})`;
}
