import { ACT_CREATE, ACT_UPDATE } from '../plugins/config.js';
import {
  MODE_APPROVE,
  MODE_CCHN_READER,
  MODE_CSYS,
  MODE_DELETE,
  MODE_JOIN,
  MODE_NONE,
  MODE_OWNER,
  MODE_PRES,
  MODE_READ,
  MODE_SHARE,
  MODE_UNSET,
  MODE_WRITE,
  modeToString,
  parseMode,
} from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { parseUserId, userId, type Uid } from '../../src/model/uid.js';
import type { SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { AccessModeMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import { ObjState } from '../store/contract/types.js';
import type { ConvTopic } from './conversation.js';
import { pushForSub } from './conv-push.js';
import { NULL_VALUE } from '../../src/model/tags.js';

/**
 * Subscribing to a conversation (the reference's `subscriptionReply`, `thisUserSub` and
 * `anotherUserSub`): new subscriptions and changes to one's own, invitations and approvals by
 * others, with the presence each causes.
 */

/** What topic creation told the first subscription: the topic or the subscription is new. */
export interface SubFlags {
  created: boolean;
  newsub: boolean;
}

const isJoiner = (m: number) => (m & MODE_JOIN) !== 0;
const isOwner = (m: number) => (m & MODE_OWNER) !== 0;
const isAdmin = (m: number) => (m & (MODE_APPROVE | MODE_OWNER)) !== 0;
const isSharer = (m: number) => (m & (MODE_SHARE | MODE_APPROVE | MODE_OWNER)) !== 0;
/** Whether `a` has every bit of `b`. */
const betterEqual = (a: number, b: number) => (a & b & 0xff) === (b & 0xff);

function parseWant(text: string | undefined): number {
  if (!text) return MODE_UNSET;
  const m = parseMode(text);
  if (m === null) throw new ProtocolError('malformed');
  return m;
}

function acsOf(want: number, given: number): AccessModeMsg {
  return { want: modeToString(want), given: modeToString(given), mode: modeToString(want & given) };
}

/**
 * `{sub}` to a p2p, group, channel, `sys` or `slf` topic. Returns the topic's name as the
 * subscriber knows it and whether it subscribed as a channel reader, for the answers to the
 * `get` the request carries.
 */
export async function subscribeConv(t: ConvTopic, req: Request<SubMsg>): Promise<{ name: string; asChan: boolean }> {
  const asChan = t.asChannel(req);
  const flags: SubFlags = t.takeSubFlags(req) ?? { created: false, newsub: false };
  const uid = req.asUser;
  if (!flags.newsub && (t.cat === 'p2p' || t.cat === 'grp')) {
    const pud = t.perUser.get(uid);
    flags.newsub = !pud || pud.deleted;
  }
  if (t.cat === 'p2p' && flags.newsub && req.target?.existingOnly) {
    // Re-joining a conversation one has left takes the peer's usr… id, as starting one does.
    throw new ProtocolError('topicNotFound');
  }
  const now = flags.created ? t.updated : new Date();
  const set = req.msg.body.set;
  if (set?.sub?.user) {
    throw new ProtocolError('malformed');
  }
  const acs = await thisUserSub(t, req, asChan, set?.sub?.mode, set?.desc?.private, flags.newsub);
  const hasJoined = acs ? isJoiner(parseMode(acs.mode ?? '') ?? 0) : true;
  if (hasJoined) {
    t.addSession(req.sess, uid, asChan);
  }
  const params: Record<string, unknown> = {};
  if (acs) params.acs = acs;
  const name = asChan ? req.original : t.original(uid);
  if (flags.created && req.original !== name) {
    params.tmpname = req.original;
  }
  req.sess.send(reply('ok', req.msg.id, name, now, params));
  if (flags.created) {
    t.env.plugins.topic(t.name, t.pluginDesc(), ACT_CREATE);
  }
  if (acs) {
    sendImmediateSubNotifications(t, uid, acs, req, asChan, flags);
  }
  if (!req.sess.background && hasJoined) {
    sendSubNotifications(t, uid, req.sess.sid);
  }
  return { name, asChan };
}

/**
 * Creates or changes the user's own subscription. Returns the access mode when it changed (or
 * the subscription is new), else null. Throws the reply for a refusal.
 */
export async function thisUserSub(
  t: ConvTopic,
  req: Request<SubMsg | SetMsg>,
  asChan: boolean,
  want: string | undefined,
  priv: unknown,
  newsub: boolean,
): Promise<AccessModeMsg | null> {
  const { store } = t.env;
  const uid = req.asUser;
  let modeWant = parseWant(want);
  let oldWant = MODE_NONE;
  let oldGiven = MODE_NONE;
  const existing = t.perUser.get(uid);
  const pud = existing ? { ...existing } : t.newPerUser();

  if (!existing || existing.deleted) {
    if (t.cat === 'grp' && !asChan && t.subsCount() >= t.env.limits.maxSubscriberCount) {
      throw new ProtocolError('policy');
    }
    let storedSub = null;
    let tname = t.name;
    if (t.cat === 'p2p') {
      if (modeWant !== MODE_UNSET) pud.modeWant = modeWant;
      pud.modeWant = (pud.modeWant & t.env.p2pMode) | MODE_APPROVE;
    } else if (t.cat === 'sys') {
      if (req.authLvl !== AuthLevel.ROOT) {
        throw new ProtocolError('permissionDenied');
      }
      pud.modeWant = MODE_CSYS;
      pud.modeGiven = MODE_CSYS;
      if (modeWant !== MODE_UNSET) pud.modeWant = (modeWant & MODE_CSYS) | MODE_WRITE | MODE_JOIN;
    } else if (asChan) {
      pud.isChan = true;
      tname = req.original;
      storedSub = await store.subs.get(tname, uid, false);
      oldGiven = MODE_CCHN_READER;
      pud.modeGiven = MODE_CCHN_READER;
      oldWant = storedSub ? storedSub.modeWant : MODE_CCHN_READER;
      pud.modeWant = modeWant !== MODE_UNSET ? (modeWant & MODE_CCHN_READER) | MODE_READ | MODE_JOIN : oldWant;
      if (storedSub) {
        pud.recvId = storedSub.recvSeqId;
        pud.readId = storedSub.readSeqId;
        pud.delId = storedSub.delId;
        pud.private = storedSub.private;
      }
    } else {
      if (!existing) {
        // A returning user keeps what was given before: leaving does not undo a ban.
        storedSub = await store.subs.get(t.name, uid, true);
        pud.modeGiven = storedSub ? storedSub.modeGiven : MODE_UNSET;
      }
      if (pud.modeGiven === MODE_UNSET) pud.modeGiven = t.accessFor(req.authLvl);
      pud.modeWant = modeWant === MODE_UNSET ? t.accessFor(req.authLvl) : modeWant;
    }
    if (!isJoiner(pud.modeGiven)) {
      throw new ProtocolError('permissionDenied');
    }
    if (pud.deleted) {
      pud.deleted = false;
      pud.delId = 0;
      pud.readId = 0;
      pud.recvId = 0;
    }
    if (!asChan || !storedSub) {
      pud.private = priv === NULL_VALUE ? null : (priv ?? null);
    } else if (priv !== undefined && priv !== null) {
      pud.private = priv === NULL_VALUE ? null : priv;
    }
    if (!storedSub || storedSub.deletedAt !== null) {
      await store.subs.create(store.subscription(uid, tname, pud.modeWant, pud.modeGiven, pud.private));
      t.memberAdded();
      t.env.plugins.subscription({ topic: tname, user: uid, modeWant: pud.modeWant, modeGiven: pud.modeGiven, private: pud.private }, ACT_CREATE);
    } else if (asChan && (pud.modeWant !== oldWant || priv !== undefined)) {
      await store.subs.update(tname, uid, { modeWant: pud.modeWant, private: pud.private, updatedAt: new Date() });
      t.env.plugins.subscription({ topic: tname, user: uid, modeWant: pud.modeWant, modeGiven: pud.modeGiven, private: pud.private }, ACT_UPDATE);
    }
  } else {
    if (!existing.isChan && asChan) {
      throw new ProtocolError('useOther', { topic: t.name });
    }
    oldWant = pud.modeWant;
    oldGiven = pud.modeGiven;
    let ownerChange = false;
    if (modeWant !== MODE_UNSET) {
      if (t.owner === uid && (!isOwner(modeWant) || !isJoiner(modeWant))) {
        throw new ProtocolError('permissionDenied');
      }
      if (isOwner(pud.modeGiven)) {
        ownerChange = isOwner(modeWant) && !isOwner(pud.modeWant);
        if (isOwner(modeWant) && !betterEqual(pud.modeGiven, modeWant)) {
          pud.modeGiven |= modeWant;
        }
      } else if (isOwner(modeWant)) {
        throw new ProtocolError('permissionDenied');
      } else if (t.cat === 'grp' && isAdmin(pud.modeGiven) && isAdmin(modeWant)) {
        if (!betterEqual(pud.modeGiven, modeWant & ~MODE_DELETE)) {
          pud.modeGiven |= modeWant & ~MODE_DELETE;
        }
      }
      if (t.cat === 'p2p') {
        modeWant = (modeWant & t.env.p2pMode) | MODE_APPROVE;
      } else if (t.cat === 'sys') {
        modeWant = (modeWant & MODE_CSYS) | MODE_WRITE;
      }
    }
    if (modeWant === MODE_UNSET) {
      if (!isJoiner(oldWant)) {
        // A user who left by self-ban comes back with no less than the default.
        pud.modeWant = pud.modeGiven | t.accessFor(req.authLvl);
      }
    } else {
      pud.modeWant = modeWant;
    }
    const update: { private?: unknown; modeWant?: number; modeGiven?: number; updatedAt?: Date } = {};
    if (priv === NULL_VALUE) {
      update.private = null;
      pud.private = null;
    } else if (priv !== undefined && priv !== null) {
      update.private = priv;
      pud.private = priv;
    }
    if (pud.modeWant !== oldWant) update.modeWant = pud.modeWant;
    if (pud.modeGiven !== oldGiven) update.modeGiven = pud.modeGiven;
    if (Object.keys(update).length > 0) {
      update.updatedAt = new Date();
      await store.subs.update(t.storeName(uid), uid, update);
      t.env.plugins.subscription({ topic: t.storeName(uid), user: uid, modeWant: update.modeWant, modeGiven: update.modeGiven, private: update.private }, ACT_UPDATE);
    }
    if (ownerChange) {
      const prevOwner = t.owner;
      const od = t.perUser.get(prevOwner);
      if (od) {
        const [ow, og] = [od.modeWant, od.modeGiven];
        od.modeGiven &= ~MODE_OWNER;
        od.modeWant &= ~MODE_OWNER;
        await store.subs.update(t.name, prevOwner, { modeWant: od.modeWant, modeGiven: od.modeGiven, updatedAt: new Date() });
        await store.topics.ownerChange(t.name, uid);
        t.notifySubChange(prevOwner, uid, false, ow, og, od.modeWant, od.modeGiven);
      }
      t.owner = uid;
    }
  }

  if (!asChan && (oldWant & oldGiven & MODE_PRES) !== 0 && (pud.modeWant & pud.modeGiven & MODE_PRES) === 0) {
    t.presSingleUserOffline(uid, pud.modeWant & pud.modeGiven, 'off+dis', {});
  }
  // Keep the live counters of an existing record (sessions attached meanwhile).
  if (existing && !existing.deleted) pud.online = existing.online;
  t.perUser.set(uid, pud);

  const changed = oldWant !== pud.modeWant || oldGiven !== pud.modeGiven;
  if (changed) {
    t.notifySubChange(uid, uid, asChan, oldWant, oldGiven, pud.modeWant, pud.modeGiven, req.sess.sid);
  }
  const acs = newsub || changed ? acsOf(pud.modeWant, pud.modeGiven) : null;
  if (!isJoiner(pud.modeWant)) {
    // Self-ban: the user's sessions leave; subscribing again lifts it.
    t.evictUser(uid, false);
    return acs;
  }
  if (!isJoiner(pud.modeGiven)) {
    throw new ProtocolError('permissionDenied');
  }
  return acs;
}

/**
 * `{set sub}` for another user: an invitation, a re-invitation, or a change of what the user is
 * given (approval, ban). Returns the new access mode when it changed.
 */
export async function anotherUserSub(t: ConvTopic, req: Request<SetMsg>, target: Uid, asChan: boolean): Promise<AccessModeMsg | null> {
  const { store } = t.env;
  const host = t.perUser.get(req.asUser);
  const hostMode = host ? host.modeGiven & host.modeWant : MODE_NONE;
  if (!host || !isSharer(hostMode) || asChan) {
    throw new ProtocolError('permissionDenied');
  }
  if (t.cat === 'slf' || (t.cat === 'p2p' && !t.perUser.has(target))) {
    // Unlike the reference, which would subscribe the user: slf has one user, p2p its two.
    throw new ProtocolError('permissionDenied');
  }
  let modeGiven = parseWant(req.msg.body.sub?.mode);
  if (modeGiven !== MODE_UNSET && t.cat === 'p2p') {
    modeGiven = (modeGiven & t.env.p2pMode) | MODE_APPROVE;
  }
  if (modeGiven !== MODE_UNSET && !isAdmin(hostMode)) {
    throw new ProtocolError('permissionDenied');
  }
  if (modeGiven !== MODE_UNSET && isOwner(modeGiven) && t.owner !== req.asUser) {
    throw new ProtocolError('permissionDenied');
  }
  let oldWant = MODE_UNSET;
  let oldGiven = MODE_UNSET;
  let pud = t.perUser.get(target);
  if (!pud || pud.deleted) {
    if (t.cat === 'grp' && t.subsCount() >= t.env.limits.maxSubscriberCount) {
      throw new ProtocolError('policy');
    }
    if (modeGiven === MODE_UNSET) {
      modeGiven = t.accessFor(AuthLevel.AUTH) | MODE_JOIN;
    }
    let modeWant: number;
    const prev = await store.subs.get(t.name, target, true);
    if (prev) {
      // A deleted subscription keeps what the user wanted: no re-inviting past a block.
      modeWant = prev.modeWant;
    } else {
      const user = await store.users.get(target);
      if (!user) throw new ProtocolError('userNotFound');
      if (user.state !== ObjState.OK) throw new ProtocolError('permissionDenied');
      modeWant = user.access.auth & modeGiven;
    }
    if (!isJoiner(modeWant)) {
      throw new ProtocolError('permissionDenied');
    }
    await store.subs.create(store.subscription(target, t.name, modeWant, modeGiven, null));
    t.memberAdded();
    t.env.plugins.subscription({ topic: t.name, user: target, modeWant, modeGiven }, ACT_CREATE);
    t.env.push.send(pushForSub(t, req.asUser, target, modeWant, modeGiven));
    pud = t.newPerUser();
    pud.modeWant = modeWant;
    pud.modeGiven = modeGiven;
    t.perUser.set(target, pud);
  } else {
    oldGiven = pud.modeGiven;
    oldWant = pud.modeWant;
    if (modeGiven === MODE_UNSET) {
      modeGiven = pud.modeGiven;
    } else if (modeGiven !== pud.modeGiven) {
      if (t.owner === target && (!isOwner(modeGiven) || !isJoiner(modeGiven))) {
        throw new ProtocolError('permissionDenied');
      }
      await store.subs.update(t.name, target, { modeGiven, updatedAt: new Date() });
      t.env.plugins.subscription({ topic: t.name, user: target, modeGiven }, ACT_UPDATE);
      pud.modeGiven = modeGiven;
    }
  }
  let acs: AccessModeMsg | null = null;
  if (oldGiven !== pud.modeGiven) {
    t.notifySubChange(target, req.asUser, false, oldWant, oldGiven, pud.modeWant, pud.modeGiven, req.sess.sid);
    acs = acsOf(pud.modeWant, pud.modeGiven);
  }
  if (!isJoiner(pud.modeGiven)) {
    t.evictUser(target, false);
  }
  return acs;
}

/** `{set sub}`: one's own subscription or another user's. */
export async function replySetSub(t: ConvTopic, req: Request<SetMsg>, asChan: boolean): Promise<void> {
  const sub = req.msg.body.sub ?? {};
  let target = req.asUser;
  if (sub.user) {
    target = parseUserId(sub.user);
    if (target === 0n) throw new ProtocolError('malformed');
  }
  const acs = target === req.asUser ? await thisUserSub(t, req, asChan, sub.mode, undefined, false) : await anotherUserSub(t, req, target, asChan);
  const now = new Date();
  if (acs) {
    const params: Record<string, unknown> = { acs };
    if (target !== req.asUser) params.user = userId(target);
    req.sess.send(reply('ok', req.msg.id, req.original, now, params));
  } else {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
  }
}

/** Presence sent right away after a subscription changed (the reference's immediate notifications). */
function sendImmediateSubNotifications(t: ConvTopic, uid: Uid, acs: AccessModeMsg, req: Request<SubMsg>, asChan: boolean, flags: SubFlags): void {
  const want = parseMode(acs.want ?? '') ?? MODE_NONE;
  const given = parseMode(acs.given ?? '') ?? MODE_NONE;
  const mode = want & given;
  if (t.cat === 'p2p') {
    const uid2 = t.otherUser(uid);
    const pud2 = uid2 !== undefined ? t.perUser.get(uid2) : undefined;
    if (uid2 !== undefined && pud2) {
      const mode2 = pud2.deleted ? MODE_UNSET : pud2.modeGiven & pud2.modeWant;
      if (flags.created) {
        t.presSingleUserOffline(uid2, mode2, 'acs', { dacs: { want: modeToString(pud2.modeWant), given: modeToString(pud2.modeGiven) }, actor: userId(uid) });
      }
      if (flags.newsub) {
        t.presSingleUserOffline(uid, mode, '?none+en', {});
        t.presSingleUserOffline(uid2, mode2, (mode2 & MODE_PRES) !== 0 && mode2 !== MODE_UNSET ? '?unkn+en' : '?unkn', {});
        t.env.push.send(pushForSub(t, uid, uid2, pud2.modeWant, pud2.modeGiven));
      }
    }
  }
  if (t.cat === 'grp' && !asChan && flags.newsub && !flags.created) {
    t.env.push.send(pushForSub(t, uid, null, want, given));
  }
  if (flags.newsub) {
    t.presSingleUserOffline(uid, mode, 'acs', { dacs: { want: acs.want, given: acs.given }, actor: userId(uid) }, req.sess.sid);
  }
}

/**
 * Presence for a foreground session joining (or a background one coming to the foreground): the
 * group comes online, or the user does in it.
 */
export function sendSubNotifications(t: ConvTopic, uid: Uid, sid: string): void {
  if (t.cat !== 'grp') return;
  const pud = t.perUser.get(uid);
  if (!pud || pud.isChan) return;
  if (!t.announcedOnline) {
    t.announcedOnline = true;
    const status = (pud.modeGiven & pud.modeWant & MODE_PRES) !== 0 ? 'on+en' : 'on';
    t.presSubsOffline(status, {}, {}, false);
  } else if (pud.online === 1) {
    t.presSubsOnline('on', userId(uid), {}, { filterIn: MODE_READ, skipSid: sid, soon: true });
  }
}
