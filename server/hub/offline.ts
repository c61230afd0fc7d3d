import { MODE_APPROVE, MODE_JOIN, MODE_OWNER, MODE_READ, modeToString, parseMode } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { grpToChn, p2pName, parseP2P, parseUserId, userId } from '../../src/model/uid.js';
import type { GetMsg, SetMsg } from '../../src/wire/client-messages.js';
import { reply } from '../../src/wire/replies.js';
import type { SubscriptionUpdate } from '../store/contract/types.js';
import { mergeValue } from '../../src/model/merge.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { AccessModeMsg, TopicDescMsg, TopicSubMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import type { TopicEnv } from '../topic/env.js';
import { objStateName } from '../store/contract/types.js';

/**
 * Answers about topics the session is not attached to, from the store: a group topic's or a
 * user's public description (what a client shows for a search result or an unknown sender), and
 * the user's own subscription.
 */
function levelMode(level: AuthLevel, access: { auth: number; anon: number }): AccessModeMsg {
  switch (level) {
    case AuthLevel.AUTH:
    case AuthLevel.ROOT:
      return { mode: modeToString(access.auth) };
    case AuthLevel.ANON:
      return { mode: modeToString(access.anon) };
    default:
      return {};
  }
}

export async function offlineGetDesc(env: TopicEnv, req: Request<GetMsg>): Promise<void> {
  const { store } = env;
  const now = new Date();
  const desc: TopicDescMsg = {};
  let topic = req.rcptTo;
  if (topic.startsWith('grp') || topic === 'sys') {
    const t = await store.topics.get(topic);
    if (!t) {
      throw new ProtocolError('topicNotFound');
    }
    desc.created = t.createdAt;
    desc.updated = t.updatedAt;
    desc.public = t.public;
    desc.trusted = t.trusted;
    desc.chan = t.useBt;
    desc.subcnt = t.subCnt;
    if (t.owner === req.asUser) {
      desc.defacs = { auth: modeToString(t.access.auth), anon: modeToString(t.access.anon) };
    }
    desc.acs = levelMode(req.sess.authLvl, t.access);
  } else {
    let peer = 0n;
    if (topic.startsWith('usr')) {
      peer = parseUserId(topic);
      topic = p2pName(req.asUser, peer);
    } else if (topic.startsWith('p2p')) {
      const pair = parseP2P(topic);
      if (pair) {
        peer = pair[0] === req.asUser ? pair[1] : pair[1] === req.asUser ? pair[0] : 0n;
      }
    }
    if (peer === 0n) {
      throw new ProtocolError('malformed');
    }
    const user = await store.users.get(peer);
    if (!user) {
      throw new ProtocolError('userNotFound');
    }
    desc.created = user.createdAt;
    desc.updated = user.updatedAt;
    desc.public = user.public;
    desc.trusted = user.trusted;
    if (req.sess.authLvl === AuthLevel.ROOT) {
      desc.state = objStateName(user.state);
    }
    desc.acs = levelMode(req.sess.authLvl, user.access);
  }
  const sub = await store.subs.get(topic, req.asUser, false);
  if (sub) {
    desc.private = sub.private;
    desc.acs = {
      want: modeToString(sub.modeWant),
      given: modeToString(sub.modeGiven),
      mode: modeToString(sub.modeGiven & sub.modeWant),
    };
  }
  req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, desc } });
}

export async function offlineGetSub(env: TopicEnv, req: Request<GetMsg>): Promise<void> {
  const now = new Date();
  const opts = req.msg.body.sub;
  if (opts?.user && opts.user !== userId(req.asUser)) {
    throw new ProtocolError('permissionDenied');
  }
  const name = req.target?.channel ? grpToChn(req.rcptTo) : req.rcptTo;
  const s = await env.store.subs.get(name, req.asUser, true);
  if (!s) {
    throw new ProtocolError('notFound');
  }
  const out: TopicSubMsg = { acs: {} };
  if (s.deletedAt === null) {
    out.updated = s.updatedAt;
    out.acs = { want: modeToString(s.modeWant), given: modeToString(s.modeGiven), mode: modeToString(s.modeGiven & s.modeWant) };
    if (!req.rcptTo.startsWith('fnd')) {
      out.private = s.private;
    }
    out.user = userId(s.user);
    const mode = s.modeGiven & s.modeWant;
    if ((mode & MODE_READ) !== 0 && (mode & MODE_JOIN) !== 0) {
      out.clear = s.delId;
      out.read = s.readSeqId;
      out.recv = s.recvSeqId;
    }
  } else {
    out.deleted = s.deletedAt;
  }
  req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, sub: [out] } });
}

/**
 * `{set}` of one's own subscription to a topic the session is not attached to: private (merged)
 * and wanted mode (no ownership changes; p2p modes clipped, A kept).
 */
export async function offlineSetSub(env: TopicEnv, req: Request<SetMsg>): Promise<void> {
  const now = new Date();
  const b = req.msg.body;
  const priv = b.desc?.private;
  const mode = b.sub?.mode;
  if ((priv === undefined || priv === null) && !mode) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  if (b.sub?.user && b.sub.user !== userId(req.asUser)) {
    throw new ProtocolError('permissionDenied');
  }
  const name = req.target?.channel ? grpToChn(req.rcptTo) : req.rcptTo;
  const sub = await env.store.subs.get(name, req.asUser, false);
  if (!sub) {
    throw new ProtocolError('notFound');
  }
  const update: SubscriptionUpdate = {};
  if (priv !== undefined && priv !== null) {
    const merged = mergeValue(sub.private, priv);
    if (merged.changed) update.private = merged.value;
  }
  if (mode) {
    let want = parseMode(mode);
    if (want === null) {
      throw new ProtocolError('malformed');
    }
    if ((want & MODE_OWNER) !== (sub.modeWant & MODE_OWNER)) {
      throw new ProtocolError('permissionDenied');
    }
    if (req.rcptTo.startsWith('p2p')) {
      want = (want & env.p2pMode) | MODE_APPROVE;
    }
    if (want !== sub.modeWant) {
      update.modeWant = want;
      sub.modeWant = want;
    }
  }
  if (Object.keys(update).length === 0) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  update.updatedAt = now;
  await env.store.subs.update(name, req.asUser, update);
  const params: Record<string, unknown> = {};
  if (update.modeWant !== undefined) {
    params.acs = { given: modeToString(sub.modeGiven), want: modeToString(sub.modeWant), mode: modeToString(sub.modeGiven & sub.modeWant) };
  }
  req.sess.send(reply('ok', req.msg.id, req.original, now, params));
}
