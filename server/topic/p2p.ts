import { MODE_APPROVE, MODE_JOIN, MODE_NONE, parseMode } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { parseP2P, userId, type Uid } from '../../src/model/uid.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { Request } from '../request/request.js';
import { ObjState, type Subscription } from '../store/contract/types.js';
import { ConvTopic } from './conversation.js';
import { NULL_VALUE } from '../../src/model/tags.js';
import type { TopicCat } from './topic.js';

/**
 * A conversation of two users. Created by the first `{sub}` to the other user's id; each side
 * names it by the other's `usr…` id and sees the other's public values. There is no owner and no
 * default access: each user gives the other what the other may do, which is how blocking works.
 */
export class P2PTopic extends ConvTopic {
  readonly cat: TopicCat = 'p2p';

  override original(uid: Uid): string {
    return this.perUser.get(uid)?.topicName ?? '';
  }

  override reachableBy(uid: Uid): boolean {
    const pair = parseP2P(this.name);
    return pair !== null && (pair[0] === uid || pair[1] === uid);
  }

  protected override rootAccess(): number {
    return this.env.p2pMode;
  }

  async init(req: Request<SubMsg>): Promise<void> {
    const { store } = this.env;
    const pair = parseP2P(this.name);
    if (!pair || !this.reachableBy(req.asUser)) {
      throw new ProtocolError('topicNotFound');
    }
    let stopic = await store.topics.get(this.name);
    let subs: Subscription[] = [];
    if (stopic) {
      subs = await store.topics.getUsers(this.name, false);
      if (subs.length === 0) {
        // Both subscriptions are gone (a user deleted the account): nothing of it is left to
        // keep. Starting anew needs both users; refused below when one of them is gone.
        if (req.target?.existingOnly) throw new ProtocolError('topicNotFound');
        await this.requireUsers(pair);
        await store.topics.delete(this.name, false, true);
        stopic = null;
      } else {
        this.loadState(stopic);
      }
    }
    if (stopic && subs.length === 2) {
      for (const [i, s] of subs.entries()) {
        const other = subs[(i + 1) % 2]!;
        this.perUser.set(s.user, this.fromSub(s, userId(other.user)));
      }
      return;
    }
    if (req.target?.existingOnly) {
      // Named by its p2p… name: only the peer's usr… id starts or restarts a conversation.
      throw new ProtocolError('topicNotFound');
    }
    // A new topic, or one side's subscription is missing (deleted): make what is missing.
    const uid1 = req.asUser;
    const uid2 = pair[0] === uid1 ? pair[1] : pair[0];
    const users = await store.users.getAll([uid1, uid2]);
    const u1 = users.find((u) => u.id === uid1);
    const u2 = users.find((u) => u.id === uid2);
    if (!u1 || !u2) {
      throw new ProtocolError('userNotFound');
    }
    const set = req.msg.body.set;
    const p2pMode = this.env.p2pMode;
    let sub1: Subscription | undefined;
    let sub2: Subscription | undefined;
    let user1only = false;
    if (subs.length === 1) {
      if (subs[0]!.user === uid1) sub1 = subs[0];
      else {
        sub2 = subs[0];
        user1only = true;
      }
    }
    let created = false;
    let newsub = false;
    if (!sub2) {
      // The other user gets what the initiator gives by default (or asks to give).
      let given = u1.access.auth;
      const asked = set?.desc?.defacs?.auth ? parseMode(set.desc.defacs.auth) : null;
      if (asked !== null && asked !== undefined) given = asked & 0xff;
      sub2 = store.subscription(uid2, this.name, MODE_NONE, (given & p2pMode) | MODE_APPROVE, null);
      sub2.extra = { public: u1.public, trusted: u1.trusted, lastSeen: u1.lastSeen ? { when: u1.lastSeen, userAgent: u1.userAgent } : null };
      created = true;
    }
    if (!sub1) {
      const level = req.authLvl;
      const given = level === AuthLevel.ANON ? u2.access.anon : level === AuthLevel.AUTH || level === AuthLevel.ROOT ? u2.access.auth : MODE_NONE;
      let want = sub2.modeGiven;
      let priv: unknown = null;
      if (set?.sub && !(set.sub.user && set.sub.user !== userId(uid1))) {
        const m = set.sub.mode ? parseMode(set.sub.mode) : null;
        if (m !== null && m !== undefined) want = (m & p2pMode) | MODE_APPROVE;
        want |= MODE_JOIN;
      }
      if (set?.desc?.private !== undefined && set.desc.private !== NULL_VALUE) {
        priv = set.desc.private;
      }
      sub1 = store.subscription(uid1, this.name, want, given, priv);
      sub1.extra = { public: u2.public, trusted: u2.trusted, lastSeen: u2.lastSeen ? { when: u2.lastSeen, userAgent: u2.userAgent } : null };
      newsub = true;
    }
    if (!user1only) {
      const level = req.authLvl;
      const w = level === AuthLevel.ANON ? u2.access.anon : u2.access.auth;
      sub2.modeWant = (w & p2pMode) | MODE_APPROVE;
    }
    if (!stopic) {
      await store.topics.createP2P(sub1, sub2);
      this.created = sub1.createdAt;
      this.updated = sub1.updatedAt;
      this.touched = this.updated;
    } else {
      await store.subs.create(user1only ? sub1 : sub2);
    }
    this.perUser.set(uid1, this.fromSub(sub1, userId(uid2)));
    this.perUser.set(uid2, this.fromSub(sub2, userId(uid1)));
    this.setSubFlags(req, { created, newsub });
  }

  /** Both users exist (and are not deleted); 404 "user not found" otherwise. */
  private async requireUsers(pair: readonly [Uid, Uid]): Promise<void> {
    const users = await this.env.store.users.getAll([pair[0], pair[1]]);
    if (users.length !== 2 || users.some((u) => u.state === ObjState.DELETED)) {
      throw new ProtocolError('userNotFound');
    }
  }

  private fromSub(s: Subscription, topicName: string) {
    const pud = ConvTopic.perUser(s.modeWant, s.modeGiven, s.private);
    pud.recvId = s.recvSeqId;
    pud.readId = s.readSeqId;
    pud.delId = s.delId;
    pud.public = s.extra?.public ?? null;
    pud.trusted = s.extra?.trusted ?? null;
    pud.lastSeen = s.extra?.lastSeen ? { when: s.extra.lastSeen.when, ua: s.extra.lastSeen.userAgent } : null;
    pud.topicName = topicName;
    return pud;
  }
}
