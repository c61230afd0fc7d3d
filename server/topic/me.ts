import { AuthLevel } from '../../src/model/auth-level.js';
import { MODE_CME_FND, MODE_PRES } from '../../src/model/access.js';
import { parseUserId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, GetQuery, LeaveMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { Request } from '../request/request.js';
import type { Client } from '../request/client.js';
import { Contacts } from './contacts.js';
import { replyGetDesc } from './meta-desc.js';
import { answerParts, denied, noDeletions, setWhat } from './meta-parts.js';
import { META_CRED, META_DATA, META_DEL, META_DESC, META_SUB, META_TAGS, metaWhat } from '../../src/wire/meta-what.js';
import { meDelCred, meGetCreds, meGetSub, meSetCred, meSetDesc, replyGetTags, replySetTags } from './me-meta.js';
import { notifyOn } from './presence.js';
import type { Routed } from './routed.js';
import type { Subscription } from '../store/contract/types.js';
import { attachAndReply, presenceTurnedOff, replySetOwnSub, subRequest, updateOwnSubscription } from './subscribe.js';
import { Topic, type TopicCat, type UnloadReason } from './topic.js';

/** How long a user-agent change waits before contacts hear about it (the reference's delay). */
const UA_DELAY_MS = 5000;

/**
 * A user's `me` topic: the user's profile and contact list, and the user's presence. It is live
 * while any of the user's sessions is attached; coming online it tells every contact, and hears
 * back which of them are online.
 */
export class MeTopic extends Topic {
  readonly cat: TopicCat = 'me';
  readonly contacts: Contacts;
  userAgent = '';
  private contactsLoaded = false;
  /**
   * The user's subscriptions as read at load (the topic's own one included), kept for the first
   * `{sub}` only: a session coming online right after the load takes its contacts from them
   * instead of reading them again.
   */
  private subsAtLoad: Subscription[] | null = null;
  private uaTimer: NodeJS.Timeout | null = null;
  private pendingUA = '';

  constructor(...args: ConstructorParameters<typeof Topic>) {
    super(...args);
    this.contacts = new Contacts(this.name);
  }

  get uid(): Uid {
    return parseUserId(this.name);
  }

  override reachableBy(uid: Uid): boolean {
    return uid === this.uid;
  }

  protected rootAccess(): number {
    return MODE_CME_FND;
  }

  async init(req: Request<SubMsg>): Promise<void> {
    const user = await this.env.store.users.get(this.uid);
    if (!user) {
      throw new ProtocolError('userNotFound');
    }
    this.access = user.access;
    this.tags = user.tags;
    this.public = user.public;
    this.trusted = user.trusted;
    this.created = user.createdAt;
    this.updated = user.updatedAt;
    this.userAgent = req.sess.userAgent;
    // One read for both: the user's own `usr` subscription (with its private value) and the contacts.
    this.subsAtLoad = await this.env.store.subs.forUser(this.uid);
    for (const s of this.subsAtLoad) {
      if (s.topic !== this.name) {
        continue;
      }
      this.perUser.set(s.user, {
        online: 0,
        recvId: s.recvSeqId,
        readId: s.readSeqId,
        delId: s.delId,
        private: s.private,
        modeWant: s.modeWant,
        modeGiven: s.modeGiven,
        deleted: false,
        isChan: false,
      });
    }
  }

  protected async handleSubscribe(req: Request<SubMsg>): Promise<void> {
    try {
      await this.subscribeSession(req);
    } finally {
      this.subsAtLoad = null;
    }
  }

  private async subscribeSession(req: Request<SubMsg>): Promise<void> {
    if (!this.perUser.has(req.asUser)) {
      // Only the user's own sessions reach this topic: the record is missing, so recreate it.
      const sub = this.env.store.subscription(req.asUser, this.name, MODE_CME_FND, MODE_CME_FND, null);
      await this.env.store.subs.create(sub);
      this.perUser.set(req.asUser, { online: 0, recvId: 0, readId: 0, delId: 0, private: null, modeWant: MODE_CME_FND, modeGiven: MODE_CME_FND, deleted: false, isChan: false });
    }
    const { want, priv } = subRequest(req);
    const { acs, oldMode } = await updateOwnSubscription(this, req, want, priv);
    if (presenceTurnedOff(oldMode, this, req)) {
      this.presUsersOfInterest('off+dis', this.userAgent);
    }
    attachAndReply(this, req, acs);
    if (this.isCounted(req.sess)) {
      await this.comeOnline(req.sess.userAgent);
    }
    await this.replyEmbeddedGet(req);
  }

  /** A background session came to the foreground: the user comes online, as with a foreground `{sub}`. */
  protected override async onForeground(sess: Client): Promise<void> {
    await this.comeOnline(sess.userAgent);
  }

  /** First attached foreground session: load contacts and tell them we are online. */
  private async comeOnline(ua: string): Promise<void> {
    if (this.contactsLoaded) {
      return;
    }
    this.contactsLoaded = true;
    for (const s of this.subsAtLoad ?? (await this.env.store.subs.forUser(this.uid))) {
      this.contacts.add(s.topic, false, (s.modeWant & s.modeGiven & MODE_PRES) !== 0);
    }
    if ((this.modeOf(this.uid) & MODE_PRES) !== 0) {
      this.userAgent = ua || this.userAgent;
      this.presUsersOfInterest('on', this.userAgent);
    }
  }

  private async replyEmbeddedGet(req: Request<SubMsg>): Promise<void> {
    const get = req.msg.body.get;
    if (get) {
      await this.replyGets(req, get);
    }
  }

  /** The parts of a `{get}` (or of a `{sub}`'s get): me has no messages (R is never given) and no aux. */
  private async replyGets(req: Request<GetMsg | SubMsg>, get: GetQuery): Promise<void> {
    await answerParts(this, req, metaWhat(get.what), {
      [META_DESC]: () => replyGetDesc(this, req, get.desc),
      [META_SUB]: () => meGetSub(this, req, get.sub),
      [META_DATA]: denied,
      [META_DEL]: () => noDeletions(req, get.del),
      [META_TAGS]: () => replyGetTags(this, req),
      [META_CRED]: () => meGetCreds(this, req),
    });
  }

  protected async handleMeta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void> {
    const msg = req.msg;
    if (msg.type === 'get') {
      await this.replyGets(req as Request<GetMsg>, msg.body);
      return;
    }
    if (msg.type === 'set') {
      const r = req as Request<SetMsg>;
      await answerParts(this, r, setWhat(msg.body), {
        [META_DESC]: () => meSetDesc(this, r),
        [META_SUB]: () => this.setOwnSub(r),
        [META_TAGS]: () => replySetTags(this, r),
        [META_CRED]: () => meSetCred(this, r),
      });
      return;
    }
    const d = req as Request<DelMsg>;
    switch (msg.body.what || 'msg') {
      case 'cred':
        await meDelCred(this, d);
        return;
      case 'topic':
      case 'sub':
      case 'msg':
        throw new ProtocolError('permissionDenied');
      default:
        throw new ProtocolError('malformed');
    }
  }

  /** `{set sub}`: the user's own mode on me; turning P off hides the user from contacts, on shows again. */
  private async setOwnSub(req: Request<SetMsg>): Promise<void> {
    const { before, after } = await replySetOwnSub(this, req);
    if ((before & MODE_PRES) !== 0 && (after & MODE_PRES) === 0) {
      this.presUsersOfInterest('off+dis', this.userAgent);
    } else if ((before & MODE_PRES) === 0 && (after & MODE_PRES) !== 0) {
      this.presUsersOfInterest('on+en', this.userAgent);
    }
  }

  protected async handleLeave(req: Request<LeaveMsg>): Promise<void> {
    await this.detach(req.sess, true, req);
  }

  protected async detach(sess: Client, byRequest: boolean, req?: Request<LeaveMsg>): Promise<void> {
    const gone = this.removeSession(sess);
    if (!gone) {
      return;
    }
    // The most recently used remaining session's agent becomes the user's.
    const next = this.sessionOf(gone.uid);
    const ua = (next ?? sess).userAgent;
    if (next && next.userAgent !== this.userAgent) {
      this.scheduleUA(next.userAgent);
    }
    await this.env.store.users.update(gone.uid, { lastSeen: new Date(), userAgent: ua });
    if (byRequest && req) {
      req.sess.send(reply('ok', req.msg.id, req.original, new Date()));
    }
  }

  override userAgentSeen(sess: Client): void {
    if (sess.userAgent && sess.userAgent !== this.userAgent && !sess.background) {
      this.scheduleUA(sess.userAgent);
    }
  }

  private scheduleUA(ua: string): void {
    this.pendingUA = ua;
    if (this.uaTimer) {
      return;
    }
    this.uaTimer = setTimeout(() => {
      this.uaTimer = null;
      void this.queue.push(() => {
        if (this.pendingUA && this.pendingUA !== this.userAgent && !this.isStopping) {
          this.userAgent = this.pendingUA;
          this.presUsersOfInterest('ua', this.userAgent);
        }
      }, 'user agent change');
    }, UA_DELAY_MS);
    this.uaTimer.unref();
  }

  protected async onUnload(reason: UnloadReason): Promise<void> {
    if (this.uaTimer) {
      clearTimeout(this.uaTimer);
      this.uaTimer = null;
    }
    if (this.contactsLoaded && reason !== 'moved') {
      this.presUsersOfInterest('off', this.userAgent);
    }
  }

  /** Tells every contact about this user: `on`, `off`, `ua`, `upd`, `off+dis`... */
  presUsersOfInterest(what: string, ua: string): void {
    const [verb, cmd] = what.split('+', 2);
    const wantReply = verb === 'on';
    for (const [key, state] of this.contacts.entries()) {
      const on = notifyOn(key, what, state.online);
      if (!on) {
        continue;
      }
      this.env.host.route(key, { kind: 'pres', pres: { topic: on, what, src: this.name, ua: ua || undefined }, wantReply });
      if (state.online && cmd === 'dis') {
        state.online = false;
      }
    }
  }

  protected async handleServerMessage(msg: Routed): Promise<void> {
    if (msg.kind === 'info') {
      this.broadcast({ info: msg.info }, { skipSid: msg.skipSid, skipTopic: msg.skipTopic });
      return;
    }
    const p = msg.pres;
    const src = p.src ?? '';
    const out = this.contacts.process(src, p.what, msg.wantReply === true);
    if (out.reply && src) {
      this.env.host.route(src, { kind: 'pres', pres: { topic: 'me', what: out.reply.what, src: this.name }, wantReply: out.reply.wantReply });
    }
    if (p.topic !== 'me' || out.forward === '') {
      return;
    }
    this.broadcast(
      { pres: { ...p, what: out.forward } },
      { skipSid: msg.skipSid, skipTopic: msg.skipTopic, filterIn: msg.filterIn, filterOut: msg.filterOut, singleUser: msg.singleUser, excludeUser: msg.excludeUser },
    );
  }

  /** Whether a root session is looking (root sees account state). */
  isRoot(sess: Client): boolean {
    return sess.authLvl === AuthLevel.ROOT;
  }
}
