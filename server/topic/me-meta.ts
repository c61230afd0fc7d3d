import { linkUserAvatar } from '../media/attachments.js';
import { ACT_UPDATE } from '../plugins/config.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { MODE_JOIN, MODE_PRES, MODE_READ, MODE_UNSET, modeToString } from '../../src/model/access.js';
import { p2pName, parseUserId, slfName, userId } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, GetOpts, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { TopicSubMsg } from '../../src/wire/server-messages.js';
import { addCreds, deleteCred, validatedCreds } from '../validate/credentials.js';
import { errorReply } from '../request/error-reply.js';
import { FEATURE_NO_LOGIN } from '../auth/scheme.js';
import type { Request } from '../request/request.js';
import type { Subscription, UserUpdate } from '../store/contract/types.js';
import type { MeTopic } from './me.js';
import { defaultAccessUpdate, privateUpdate } from './meta-desc.js';
import { mergeValue } from '../../src/model/merge.js';
import { presToUser } from './presence.js';
import { hasDuplicateNamespaceTags, normalizeTags, restrictedTagsEqual, tagDelta, validateTag } from '../../src/model/tags.js';
import type { Topic } from './topic.js';

/** Metadata requests on `me`: the contact list, the profile, tags and credentials. */

/** `{get what="sub"}` on me: the user's subscriptions, with contacts' presence. */
export async function meGetSub(t: MeTopic, req: Request<GetMsg | SubMsg>, opts: GetOpts | undefined): Promise<void> {
  const now = new Date();
  if (opts && (opts.since || opts.before)) {
    throw new ProtocolError('malformed');
  }
  const q = { ...(opts ?? {}) };
  let topicFilter = q.topic;
  if (topicFilter) {
    const peer = parseUserId(topicFilter);
    if (peer !== 0n) topicFilter = p2pName(req.asUser, peer);
    if (topicFilter === 'slf') topicFilter = slfName(req.asUser);
  }
  const ims = q.ims;
  const store = t.env.store;
  const storeOpts = { ...(topicFilter ? { topic: topicFilter } : {}), ...(ims ? { ifModifiedSince: ims } : {}), ...(q.limit ? { limit: q.limit } : {}) };
  const subs: (Subscription & { dummy?: boolean })[] = await store.users.getTopics(req.asUser, ims !== undefined, storeOpts);
  if (ims) {
    // Contacts that came online since, though their subscription did not change.
    const seen = new Set(subs.map((s) => s.extra?.with ?? s.topic));
    for (const [key, state] of t.contacts.entries()) {
      if (!seen.has(key) && state.online) {
        subs.push({ ...t.env.store.subscription(0n, key, MODE_UNSET, MODE_UNSET, null, new Date(0)), extra: { with: key }, dummy: true });
      }
    }
  }
  if (subs.length === 0) {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'sub' }));
    return;
  }
  const presencer = (t.modeOf(req.asUser) & MODE_PRES) !== 0;
  const out: TopicSubMsg[] = [];
  for (const s of subs) {
    const deleted = s.deletedAt !== null;
    let sendPubPriv = true;
    const mts: TopicSubMsg = { acs: {} };
    if (ims) {
      if (deleted) {
        if (s.deletedAt! <= ims) continue;
        mts.deleted = s.deletedAt!;
      }
      sendPubPriv = !deleted && s.updatedAt > ims;
    }
    const mode = s.modeGiven & s.modeWant;
    const banned = (mode & MODE_JOIN) === 0;
    const isReader = (mode & MODE_READ) !== 0;
    const withPeer = s.extra?.with;
    if (withPeer) {
      mts.topic = withPeer;
      mts.online = (t.contacts.get(withPeer)?.online ?? false) && !deleted && presencer;
    } else if (s.topic.startsWith('slf')) {
      mts.topic = 'slf';
    } else {
      mts.topic = s.topic;
      mts.online = (t.contacts.get(s.topic)?.online ?? false) && !deleted && presencer;
    }
    if (!deleted && !banned) {
      if (isReader) {
        mts.touched = s.extra?.touchedAt;
        mts.seq = s.extra?.seqId;
        mts.clear = s.delId;
      } else if (s.updatedAt.getTime() > 0) {
        mts.touched = s.updatedAt;
      }
      const ls = s.extra?.lastSeen;
      if (ls && !mts.online) {
        mts.seen = { when: ls.when, ua: ls.userAgent };
      }
      mts.subcnt = s.extra?.subCnt;
    }
    if (!deleted) {
      if (s.updatedAt.getTime() > 0) mts.updated = s.updatedAt;
      if (isReader && !banned) {
        mts.read = s.readSeqId;
        mts.recv = s.recvSeqId;
      }
      if (!s.dummy) {
        mts.acs = { mode: modeToString(mode), want: modeToString(s.modeWant), given: modeToString(s.modeGiven) };
      }
      if (sendPubPriv) {
        mts.public = s.extra?.public ?? undefined;
        mts.trusted = s.extra?.trusted ?? undefined;
        mts.private = s.private ?? undefined;
      }
    }
    out.push(mts);
  }
  req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, sub: out } });
}

/** `{set desc}` on me: default access, public, trusted (root only), private. */
export async function meSetDesc(t: MeTopic, req: Request<SetMsg>): Promise<void> {
  const now = new Date();
  const desc = req.msg.body.desc!;
  if (desc.trusted !== undefined && req.authLvl !== AuthLevel.ROOT) {
    throw new ProtocolError('permissionDenied');
  }
  const core: UserUpdate = {};
  const access = defaultAccessUpdate(t, desc.defacs, t.env.p2pMode);
  if (access) core.access = access;
  const pub = mergeValue(t.public, desc.public);
  if (pub.changed) core.public = pub.value;
  const trusted = mergeValue(t.trusted, desc.trusted);
  if (trusted.changed) core.trusted = trusted.value;
  const priv = privateUpdate(t, req, desc.private);
  if (Object.keys(core).length === 0 && !priv.changed) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  const store = t.env.store;
  if (Object.keys(core).length > 0) {
    await store.users.update(req.asUser, { ...core, updatedAt: now });
  }
  if (priv.changed) {
    await store.subs.update(t.name, req.asUser, { private: priv.value, updatedAt: now });
  }
  if (core.access) t.access = core.access;
  if (pub.changed) t.public = pub.value;
  if (trusted.changed) t.trusted = trusted.value;
  const pud = t.perUser.get(req.asUser);
  if (pud && priv.changed) pud.private = priv.value;
  if (pub.changed || trusted.changed) {
    t.presUsersOfInterest('upd', '');
    t.updated = now;
  }
  if (pub.changed || trusted.changed || priv.changed) {
    // The user's other sessions reload the profile.
    presToUser(t.env, req.asUser, 'me', 'upd', {}, { skipSid: req.sess.sid });
  }
  if (pub.changed) {
    await linkUserAvatar(t.env, req.asUser, req.msg.extra?.attachments);
  }
  if (Object.keys(core).length > 0) {
    const user = await store.users.get(req.asUser);
    if (user) t.env.plugins.account(user, ACT_UPDATE);
  }
  req.sess.send(reply('ok', req.msg.id, req.original, now));
}

/** `{get what="tags"}` on me or a group (owner only); other kinds have no tags to show (405). */
export function replyGetTags(t: Topic, req: Request<GetMsg | SubMsg>): void {
  const now = new Date();
  if (t.cat !== 'me' && t.cat !== 'grp') {
    throw new ProtocolError('operationNotAllowed');
  }
  if (t.cat === 'grp' && t.owner !== req.asUser) {
    throw new ProtocolError('permissionDenied');
  }
  if (t.tags.length > 0) {
    req.sess.send({ meta: { id: req.msg.id || undefined, topic: t.original(req.asUser), ts: now, tags: t.tags } });
  } else {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'tags' }));
  }
}

/**
 * `{set tags}` on me or a group. Restricted namespaces cannot change; on me, new plain tags are
 * ignored (only prefixed ones count); aliases must be unique.
 */
export async function replySetTags(t: Topic, req: Request<SetMsg>): Promise<void> {
  const now = new Date();
  const { env } = t;
  if (t.cat !== 'me' && t.cat !== 'grp') {
    throw new ProtocolError('operationNotAllowed');
  }
  if (t.cat === 'grp' && t.owner !== req.asUser) {
    throw new ProtocolError('permissionDenied');
  }
  const tags = normalizeTags(req.msg.body.tags, env.limits.maxTagCount) ?? [];
  if (tags.length === 0) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  if (!restrictedTagsEqual(t.tags, tags, env.tags.immutable)) {
    throw new ProtocolError('permissionDenied');
  }
  if (env.tags.alias && hasDuplicateNamespaceTags(tags, env.tags.alias)) {
    throw new ProtocolError('malformed');
  }
  const delta = tagDelta(t.tags, tags);
  const removed = delta.removed;
  // On me, only new prefixed tags count as changes (plain ones are not added by clients).
  const added = t.cat === 'me' ? delta.added.filter((tag) => validateTag(tag)[0] !== '') : delta.added;
  if (added.length === 0 && removed.length === 0) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  if (env.tags.alias) {
    for (const tag of added.filter((a) => validateTag(a)[0] === env.tags.alias)) {
      if (await env.store.search.findOne(tag)) {
        throw new ProtocolError('malformed');
      }
    }
  }
  if (t.cat === 'me') {
    await env.store.users.update(req.asUser, { tags, updatedAt: now });
  } else {
    await env.store.topics.update(t.name, { tags, updatedAt: now });
  }
  t.tags = tags;
  t.broadcast({ pres: { topic: t.original(req.asUser), what: 'tags' } }, { singleUser: userId(req.asUser), skipSid: req.sess.sid });
  const params: Record<string, unknown> = {};
  if (added.length > 0) params.added = added.length;
  if (removed.length > 0) params.removed = removed.length;
  req.sess.send(reply('ok', req.msg.id, req.original, now, params));
}

/** `{get what="cred"}`: the user's credentials. */
export async function meGetCreds(t: MeTopic, req: Request<GetMsg | SubMsg>): Promise<void> {
  const now = new Date();
  const creds = await t.env.store.creds.getAll(req.asUser, '', false);
  if (creds.length === 0) {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'creds' }));
    return;
  }
  req.sess.send({
    meta: { id: req.msg.id || undefined, topic: req.original, ts: now, cred: creds.map((c) => ({ meth: c.method, val: c.value, done: c.done })) },
  });
}

async function tmpToken(t: MeTopic, req: Request): Promise<Buffer> {
  const token = t.env.auth.get('token');
  if (!token) return Buffer.alloc(0);
  const { secret } = await token.genSecret({ uid: req.asUser, authLevel: AuthLevel.NONE, lifetimeMs: 24 * 3600_000, features: FEATURE_NO_LOGIN, tags: [] });
  return secret;
}

/** `{set cred}`: add a credential (code sent) or answer a challenge. */
export async function meSetCred(t: MeTopic, req: Request<SetMsg>): Promise<void> {
  const now = new Date();
  const cred = req.msg.body.cred!;
  let tags: string[] | null;
  try {
    if (cred.resp) {
      tags = (await validatedCreds(t.env, req.asUser, req.authLvl, [cred], true)).tags;
    } else {
      tags = (await addCreds(t.env, req.asUser, [cred], [], req.sess.lang, await tmpToken(t, req))).tags;
    }
  } catch (err) {
    req.sess.send(errorReply(err, req.msg.id, t.original(req.asUser), now));
    return;
  }
  if (tags) {
    t.tags = tags;
    t.broadcast({ pres: { topic: 'me', what: 'tags' } });
  }
  req.sess.send(reply('ok', req.msg.id, t.original(req.asUser), now));
}

/** `{del what="cred"}`: remove a credential (not the last validated one of a required method). */
export async function meDelCred(t: MeTopic, req: Request<DelMsg>): Promise<void> {
  const now = new Date();
  const cred = req.msg.body.cred;
  if (!cred?.meth) {
    throw new ProtocolError('malformed');
  }
  const tags = await deleteCred(t.env, req.asUser, req.authLvl, cred);
  if (!tags) {
    req.sess.send(reply('noAction', req.msg.id, req.original, now));
    return;
  }
  if (tagDelta(t.tags, tags).removed.length > 0) {
    t.tags = tags;
    t.broadcast({ pres: { topic: 'me', what: 'tags' } });
  }
  req.sess.send(reply('ok', req.msg.id, req.original, now));
}
