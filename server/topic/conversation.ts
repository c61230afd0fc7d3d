import { MODE_CCHN_READER, MODE_NONE, MODE_OWNER, MODE_PRES, MODE_READ, MODE_UNSET, modeDelta, modeToString } from '../../src/model/access.js';
import { isChannel, userId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage, TopicDescMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import type { Topic as StoredTopic } from '../store/contract/types.js';
import type { Client } from '../request/client.js';
import { handleConvGet, handleConvSet, replyConvGets } from './conv-meta.js';
import { handleNote } from './conv-notes.js';
import { callOnUnload, callPartyLeft, type ActiveCall } from './conv-calls.js';
import { deleteMessages, flushPublished, type PendingPub } from './conv-messages.js';
import { deleteConversation, deleteSubscription, leaveAndUnsubscribe } from './conv-leave.js';
import { sendSubNotifications, subscribeConv, type SubFlags } from './conv-subscribe.js';
import { presOfflineFilter, presToUser, type PresParams } from './presence.js';
import { recipientView } from './recipient-view.js';
import type { Routed } from './routed.js';
import { Topic, type AfterInbox, type BroadcastFilter, type PerSession, type PerUser, type UnloadReason } from './topic.js';

/**
 * What p2p, group (and channel), `sys` and `slf` topics share: subscribers with modes, messages
 * with seq ids, notes, deletion, and presence among subscribers. Each operation lives in a
 * `conv-*.ts` file; the kinds override only what differs.
 */
export abstract class ConvTopic extends Topic {
  /** Publications waiting for the next group commit. */
  readonly pendingPubs: PendingPub[] = [];
  private flushScheduled = false;
  /** The topic is being deleted: new requests are refused. */
  deleted = false;
  aux: Record<string, unknown> | null = null;
  /** p2p: the call ringing or on, if any. */
  call: ActiveCall | null = null;
  /** A group told its members it is online (first foreground session). */
  announcedOnline = false;
  /** What creating the topic means for the subscription that caused it. */
  private readonly subFlags = new WeakMap<object, SubFlags>();

  /** Remembers what init learned about the subscribing request (topic or subscription new). */
  setSubFlags(req: Request<SubMsg>, flags: SubFlags): void {
    this.subFlags.set(req.msg, flags);
  }

  takeSubFlags(req: Request<SubMsg>): SubFlags | undefined {
    const f = this.subFlags.get(req.msg);
    this.subFlags.delete(req.msg);
    return f;
  }

  /** The topic's description as plugins hear it. */
  pluginDesc(): TopicDescMsg {
    const desc: TopicDescMsg = { created: this.created, updated: this.updated };
    if (this.touched.getTime() > 0) desc.touched = this.touched;
    if (this.cat === 'grp') {
      desc.defacs = { auth: modeToString(this.access.auth), anon: modeToString(this.access.anon) };
      desc.chan = this.isChannel();
    }
    if (this.public !== null) desc.public = this.public;
    if (this.trusted !== null) desc.trusted = this.trusted;
    if (this.lastId > 0) desc.seq = this.lastId;
    return desc;
  }

  /**
   * Loads the subscribers from the store, all of them (a member left out would look new when
   * joining: a default mode and an `acs` announcement); the one holding O is the owner.
   */
  protected async loadSubscribers(): Promise<void> {
    for (const s of await this.env.store.subs.forTopic(this.name, false, { all: true })) {
      const pud = ConvTopic.perUser(s.modeWant, s.modeGiven, s.private);
      pud.recvId = s.recvSeqId;
      pud.readId = s.readSeqId;
      pud.delId = s.delId;
      this.perUser.set(s.user, pud);
      if ((s.modeGiven & s.modeWant & MODE_OWNER) !== 0) this.owner = s.user;
    }
  }

  /** Takes the stored topic's times, seq and delete ids and aux data. */
  protected loadState(stopic: StoredTopic): void {
    this.created = stopic.createdAt;
    this.updated = stopic.updatedAt;
    this.touched = stopic.touchedAt;
    this.aux = stopic.aux;
    this.lastId = stopic.seqId;
    this.delId = stopic.delId;
  }

  /** A fresh per-user record with no access. */
  newPerUser(): PerUser {
    return ConvTopic.perUser(MODE_NONE, MODE_NONE);
  }

  /** The topic's name in replies to this request: `chn…` for channel readers, else the user's name. */
  nameFor(req: Request): string {
    return isChannel(req.original) && this.isChannel() ? req.original : this.original(req.asUser);
  }

  // ---- names ----

  override original(_uid: Uid): string {
    return this.xoriginal;
  }

  /** Whether the request addresses the topic as a channel (`chn…`); refuses it if the topic is not one. */
  asChannel(req: Request): boolean {
    if (!isChannel(req.original)) {
      return false;
    }
    if (this.isChannel()) {
      return true;
    }
    throw new ProtocolError('notFound');
  }

  /** The name `uid` subscribes under in the store (`chn…` for channel readers). */
  storeName(uid: Uid): string {
    const pud = this.perUser.get(uid);
    return pud?.isChan ? 'chn' + this.name.slice(3) : this.name;
  }

  protected rootAccess(): number {
    return this.access.auth;
  }

  // ---- entry points ----

  protected async handleSubscribe(req: Request<SubMsg>): Promise<void> {
    const { name, asChan } = await subscribeConv(this, req);
    if (req.msg.body.get) {
      await replyConvGets(this, { ...req, original: name }, req.msg.body.get, asChan);
    }
  }

  protected async handleMeta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void | AfterInbox> {
    if (this.deleted) {
      throw new ProtocolError('locked');
    }
    const msg = req.msg;
    if (msg.type === 'get') {
      return handleConvGet(this, req as Request<GetMsg>);
    } else if (msg.type === 'set') {
      await handleConvSet(this, req as Request<SetMsg>);
    } else {
      const d = req as Request<DelMsg>;
      switch (msg.body.what || 'msg') {
        case 'msg':
          await deleteMessages(this, d);
          break;
        case 'sub':
          await deleteSubscription(this, d);
          break;
        case 'topic': {
          const pud = this.perUser.get(d.asUser);
          if (this.cat === 'p2p' && (!pud || pud.deleted)) {
            // A party who left has nothing to delete: the other keeps the conversation.
            d.sess.send(reply('noAction', d.msg.id, d.original, d.ts));
            break;
          }
          // The owner deletes the topic (so does the last one in a p2p); anyone else leaves.
          if ((this.owner !== 0n && this.owner === d.asUser) || (this.cat === 'p2p' && this.subsCount() < 2)) {
            await deleteConversation(this, d);
          } else {
            await leaveAndUnsubscribe(this, d.sess, d);
          }
          break;
        }
        case 'cred':
          throw new ProtocolError('permissionDenied');
        default:
          throw new ProtocolError('malformed');
      }
    }
  }

  protected async handleLeave(req: Request<LeaveMsg>): Promise<void> {
    const asChan = this.asChannel(req);
    if (req.msg.body.unsub) {
      await leaveAndUnsubscribe(this, req.sess, req);
      return;
    }
    const gone = this.removeSession(req.sess);
    if (!gone) {
      return;
    }
    if (gone.isChanSub !== asChan) {
      throw new ProtocolError('notFound');
    }
    this.afterDetach(gone);
    req.sess.send(reply('ok', req.msg.id, req.original, new Date()));
  }

  protected async detach(sess: Client): Promise<void> {
    const gone = this.removeSession(sess);
    if (gone) {
      this.afterDetach(gone);
    }
  }

  /** A session on the call that leaves the topic ends the call. */
  override removeSession(sess: Client): Readonly<PerSession> | null {
    const gone = super.removeSession(sess);
    if (gone && this.call) callPartyLeft(this, sess.sid);
    return gone;
  }

  /** A background session came to the foreground: on a group, its user comes online there. */
  protected override async onForeground(sess: Client, uid: Uid): Promise<void> {
    sendSubNotifications(this, uid, sess.sid);
  }

  /**
   * A user's session left: on a group, the last one makes the user "off" to others, unless the
   * session was in the background (its user was never announced through it).
   */
  protected afterDetach(gone: Readonly<PerSession>): void {
    if (this.cat !== 'grp') {
      return;
    }
    const pud = this.perUser.get(gone.uid);
    if (pud && pud.online === 0) {
      if (gone.isChanSub) {
        this.perUser.delete(gone.uid);
      } else if (gone.counted) {
        this.presSubsOnline('off', userId(gone.uid), {}, { filterIn: MODE_READ, soon: true });
      }
    }
  }

  /**
   * `{pub}`: queued for the next group commit. While the topic writes one batch, further
   * publications gather and go into the next transaction together; each is acknowledged when its
   * batch is stored.
   */
  override publish(req: Request<PubMsg>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.pendingPubs.push({ req, done: resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.queue.push(async () => {
          this.flushScheduled = false;
          const batch = this.pendingPubs.splice(0);
          try {
            await flushPublished(this, batch);
          } finally {
            for (const p of batch) p.done();
          }
        }, 'publish batch');
      }
    });
  }

  protected override async handleNote(req: Request<NoteMsg>): Promise<void> {
    if (!this.deleted) {
      await handleNote(this, req);
    }
  }

  // ---- presence and info ----

  protected async handleServerMessage(msg: Routed): Promise<void> {
    if (this.isStopping) {
      return;
    }
    if (msg.kind === 'info') {
      const info = msg.info;
      this.fanOut({ info }, { skipSid: msg.skipSid, skipTopic: msg.skipTopic });
      return;
    }
    const p = msg.pres;
    // A member's me asks whether the topic is online: a live topic is.
    const verb = p.what.split('+')[0] ?? '';
    if (msg.wantReply && (verb === 'on' || verb === '?unkn') && p.src) {
      this.env.host.route(p.src, { kind: 'pres', pres: { topic: 'me', what: 'on', src: this.name }, wantReply: verb === '?unkn' });
    }
    if (p.topic !== this.xoriginal || verb === '?none' || verb === '?unkn' || verb === '') {
      return;
    }
    if (verb !== p.what) {
      msg = { ...msg, pres: { ...p, what: verb } };
    }
    const f: BroadcastFilter = { skipSid: msg.skipSid, skipTopic: msg.skipTopic, filterIn: msg.filterIn, filterOut: msg.filterOut, singleUser: msg.singleUser, excludeUser: msg.excludeUser };
    const pres = msg.pres;
    this.fanOut({ pres }, f);
  }

  /** A message as one subscriber sees it: its own name of the topic; channel readers get no `from`. */
  forUser(msg: ServerMessage, uid: Uid, isChanSub: boolean): ServerMessage {
    return recipientView(msg, isChanSub ? 'chn' + this.name.slice(3) : this.original(uid), isChanSub);
  }

  /** Broadcasts one message object with its per-recipient views (one encoding per view). */
  fanOut(msg: ServerMessage, f: BroadcastFilter): void {
    this.broadcast(msg, f, (uid, chan) => this.forUser(msg, uid, chan));
  }

  /** Presence to the sessions attached here (the reference's `presSubsOnline`). */
  presSubsOnline(what: string, src: string, params: PresParams, f: BroadcastFilter = {}): void {
    const actor = params.actor && params.actor !== src ? params.actor : undefined;
    const target = params.target && params.target !== src ? params.target : undefined;
    const pres = { topic: this.xoriginal, what, src: src || undefined, dacs: params.dacs, act: actor, tgt: target, seq: params.seq, clear: params.clear, delseq: params.delseq };
    this.fanOut({ pres }, f);
  }

  /** Presence to the `me` of every subscriber (not attached here when `offlineOnly`). */
  presSubsOffline(what: string, params: PresParams, source: BroadcastFilter, offlineOnly: boolean, skipSid?: string): void {
    for (const [uid, pud] of this.perUser) {
      const mode = pud.modeGiven & pud.modeWant;
      if (pud.deleted || pud.isChan || !presOfflineFilter(mode, what, source.filterIn, source.filterOut)) continue;
      if (source.excludeUser && source.excludeUser === userId(uid)) continue;
      presToUser(this.env, uid, this.original(uid), what, params, { skipSid, skipTopic: offlineOnly ? this.name : undefined });
    }
  }

  /** Presence to one subscriber's `me`, if the mode lets it hear `what`. */
  presSingleUserOffline(uid: Uid, mode: number, what: string, params: PresParams, skipSid?: string, offlineOnly = false): void {
    if (mode !== MODE_UNSET && presOfflineFilter(mode, what)) {
      presToUser(this.env, uid, this.original(uid), what, params, { skipSid, skipTopic: offlineOnly ? this.name : undefined, wantReply: what.startsWith('?unkn') });
    }
  }

  /**
   * Tells who should know that a user's access changed (the reference's `notifySubChange`):
   * managers attached here, the managers' `me` when the user asks for more than given, the user's
   * other sessions and `me`; on unsubscribing, `gone`/`off`.
   */
  notifySubChange(uid: Uid, actor: Uid, isChan: boolean, oldWant: number, oldGiven: number, newWant: number, newGiven: number, skipSid?: string): void {
    const unsub = newWant === MODE_UNSET || newGiven === MODE_UNSET;
    const target = userId(uid);
    const delta = (o: number, n: number) => (n === MODE_UNSET ? 'N' : o !== MODE_UNSET && o !== MODE_NONE ? modeDelta(o, n) : modeToString(n));
    const params: PresParams = { target, actor: userId(actor), dacs: { want: delta(oldWant, newWant), given: delta(oldGiven, newGiven) } };
    const sharers: BroadcastFilter = { filterIn: 0x10 | 0x80 | 0x20, excludeUser: target, skipSid };
    this.presSubsOnline('acs', target, params, sharers);
    if ((newWant !== MODE_UNSET && newGiven !== MODE_UNSET && (newWant & ~newGiven & 0xff) !== 0) || oldWant === MODE_NONE) {
      this.presSubsOffline('acs', params, sharers, true, skipSid);
    }
    if (unsub) {
      if (this.cat === 'p2p') {
        const peer = this.otherUser(uid);
        this.presSingleUserOffline(uid, newWant & newGiven, 'gone', {}, skipSid);
        if (peer) presToUser(this.env, peer, target, 'off', {});
      } else if (this.cat === 'grp' && !isChan) {
        this.presSubsOnline('off', target, {}, { ...sharers, skipSid });
        presToUser(this.env, uid, this.name, 'gone', {}, { skipSid });
      }
      return;
    }
    const was = (oldWant & oldGiven & MODE_PRES) !== 0;
    const is = (newWant & newGiven & MODE_PRES) !== 0;
    if (was && !is) {
      const source = this.cat === 'p2p' ? userId(this.otherUser(uid) ?? 0n) : this.cat === 'grp' && !isChan ? this.name : '';
      if (source) presToUser(this.env, uid, source, 'off+dis', {});
    } else if (!was && is && this.cat === 'grp' && !isChan) {
      this.presSingleUserOffline(uid, newWant & newGiven, '?unkn+en', {});
    }
    this.fanOut({ pres: { topic: this.xoriginal, what: 'acs', dacs: params.dacs, act: params.actor !== target ? params.actor : undefined } }, { singleUser: target, skipSid });
    this.presSingleUserOffline(uid, newWant & newGiven, 'acs', params, skipSid, true);
  }

  /** p2p: the other participant. */
  otherUser(uid: Uid): Uid | undefined {
    for (const u of this.perUser.keys()) {
      if (u !== uid) return u;
    }
    return undefined;
  }

  /**
   * Removes a user from the topic's sessions with ctrl 205 "evicted" (`params.unsub`); with
   * `unsub` the user is no longer a subscriber.
   */
  evictUser(uid: Uid, unsub: boolean, skipSid?: string): void {
    const pud = this.perUser.get(uid);
    const name = this.original(uid);
    if (unsub) {
      if (this.cat === 'p2p' && pud) {
        pud.online = 0;
        pud.deleted = true;
      } else {
        this.perUser.delete(uid);
      }
    } else if (pud) {
      if (pud.isChan) this.perUser.delete(uid);
      else pud.online = 0;
    }
    const now = new Date();
    for (const [sess, pssd] of [...this.sessions]) {
      if (pssd.uid !== uid) continue;
      this.removeSession(sess);
      if (sess.sid !== skipSid) {
        sess.send(reply('evicted', '', name, now, { unsub }));
      }
    }
  }

  /**
   * A subscription to the group was created or revived (a member, an invited user, a channel
   * reader): the member count (`subcnt`) grows, as the stored one does.
   */
  memberAdded(): void {
    if (this.cat === 'grp') this.subCnt++;
  }

  /** A group subscription was deleted (left, removed): the member count shrinks. */
  memberRemoved(): void {
    if (this.cat === 'grp') this.subCnt = Math.max(0, this.subCnt - 1);
  }

  /** The number of subscribers (p2p: not deleted ones). */
  subsCount(): number {
    if (this.cat === 'p2p') {
      return [...this.perUser.values()].filter((p) => !p.deleted).length;
    }
    return [...this.perUser.values()].filter((p) => !p.isChan).length;
  }

  /** A fresh per-user record. */
  static perUser(want: number, given: number, priv: unknown = null): PerUser {
    return { online: 0, recvId: 0, readId: 0, delId: 0, private: priv, modeWant: want, modeGiven: given, deleted: false, isChan: false };
  }

  protected async onUnload(reason: UnloadReason, skipSid?: string): Promise<void> {
    await callOnUnload(this, reason === 'deleted');
    if (reason === 'idle' && this.cat === 'grp') {
      // Nobody is attached: members' me hear the group is offline.
      this.presSubsOffline('off', {}, {}, false);
    }
    if (reason === 'deleted' && this.cat === 'grp') {
      this.presSubsOffline('gone', {}, {}, false);
    }
    if (this.cat === 'grp' && reason !== 'deleted') {
      await this.env.store.topics.updateSubCnt(this.name).catch(() => undefined);
    }
    if (reason !== 'idle') {
      for (const sess of this.sessions.keys()) {
        if (reason === 'deleted' && sess.sid !== skipSid) {
          sess.send(reply('evicted', '', this.original(this.sessions.get(sess)!.uid), new Date(), { unsub: true }));
        }
      }
    }
  }

  /** Channel readers' mode, for reference. */
  static readonly CHANNEL_READER = MODE_CCHN_READER;
}
