import { ACT_UPDATE } from '../plugins/config.js';
import { MODE_APPROVE, MODE_JOIN, MODE_OWNER, MODE_PRES, MODE_READ, MODE_SHARE, modeToString } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import { parseUserId, userId } from '../../src/model/uid.js';
import type { GetMsg, GetOpts, GetQuery, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { TopicSubMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import type { QueryOpt, Subscription, TopicUpdate } from '../store/contract/types.js';
import type { ConvTopic } from './conversation.js';
import { checkGetData, replyGetData, replyGetDel } from './conv-messages.js';
import type { AfterInbox } from './topic.js';
import { replySetSub } from './conv-subscribe.js';
import { replyGetTags, replySetTags } from './me-meta.js';
import { defaultAccessUpdate, replyGetDesc } from './meta-desc.js';
import { answerParts, setWhat } from './meta-parts.js';
import { META_AUX, META_DATA, META_DEL, META_DESC, META_SUB, META_TAGS, metaWhat } from '../../src/wire/meta-what.js';
import { mergeValue } from '../../src/model/merge.js';
import { fileIdFromUrl } from '../media/attachments.js';

/** `{get}` and `{set}` on conversations. Each part of a request is answered on its own. */

type AnyReq = Request<GetMsg> | Request<SubMsg>;

/** The parts of a `{get}` (or of the `get` inside a `{sub}`), each answered on its own. */
export async function replyConvGets(t: ConvTopic, req: AnyReq, get: GetQuery, asChan: boolean): Promise<void> {
  await answerParts(t, req, metaWhat(get.what), {
    [META_DESC]: () => replyGetDesc(t, req, get.desc),
    [META_SUB]: () => replyGetSub(t, req, get.sub, asChan),
    [META_DATA]: () => replyGetData(t, req, get.data, asChan),
    [META_DEL]: () => replyGetDel(t, req, get.del),
    [META_TAGS]: () => replyGetTags(t, req),
    // Credentials are only on me: 405 here.
    [META_AUX]: () => replyGetAux(t, req),
  });
}

/**
 * `{get}`. A page of messages alone (the SDK's history requests) is checked here, in the topic's
 * inbox, and read after it: reads of one topic overlap.
 */
export async function handleConvGet(t: ConvTopic, req: Request<GetMsg>): Promise<void | AfterInbox> {
  const asChan = t.asChannel(req);
  if (metaWhat(req.msg.body.what) === META_DATA) {
    return checkGetData(t, req, req.msg.body.data, asChan);
  }
  await replyConvGets(t, req, req.msg.body, asChan);
}

export async function handleConvSet(t: ConvTopic, req: Request<SetMsg>): Promise<void> {
  const asChan = t.asChannel(req);
  await answerParts(t, req, setWhat(req.msg.body), {
    [META_DESC]: () => replySetDesc(t, req, asChan),
    [META_SUB]: () => replySetSub(t, req, asChan),
    [META_TAGS]: () => replySetTags(t, req),
    [META_AUX]: () => replySetAux(t, req),
  });
}

/** `{get what="sub"}`: the subscribers, each shown as the reference shows it to this user. */
export async function replyGetSub(t: ConvTopic, req: AnyReq, opts: GetOpts | undefined, asChan: boolean): Promise<void> {
  const now = new Date();
  if (opts && (opts.since || opts.before)) {
    throw new ProtocolError('malformed');
  }
  const ims = opts?.ims;
  const q: QueryOpt = {};
  if (opts?.limit) q.limit = opts.limit;
  let userFilter = opts?.user ? parseUserId(opts.user) : undefined;
  let topicName = t.name;
  if (asChan) {
    userFilter = req.asUser;
    topicName = req.original;
  }
  if (userFilter !== undefined) q.user = userFilter;
  if (ims) q.ifModifiedSince = ims;
  let subs: Subscription[] = [];
  if (t.cat === 'p2p' || t.cat === 'grp') {
    subs = await t.env.store.topics.getUsers(topicName, ims !== undefined, q);
  }
  if (subs.length === 0) {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'sub' }));
    return;
  }
  const me = t.perUser.get(req.asUser);
  const myMode = me ? me.modeGiven & me.modeWant : 0;
  const presencer = (myMode & MODE_PRES) !== 0;
  const sharer = (myMode & (MODE_SHARE | MODE_APPROVE | MODE_OWNER)) !== 0;
  const out: TopicSubMsg[] = [];
  for (const s of subs) {
    const deleted = s.deletedAt !== null;
    const mts: TopicSubMsg = { acs: {} };
    let sendPubPriv = true;
    if (ims) {
      if (deleted) {
        if (s.deletedAt! <= ims) continue;
        mts.deleted = s.deletedAt!;
      }
      sendPubPriv = !deleted && s.updatedAt > ims;
    }
    const subMode = s.modeGiven & s.modeWant;
    const isReader = (subMode & MODE_READ) !== 0;
    const banned = t.cat === 'grp' && (subMode & MODE_JOIN) === 0;
    mts.user = userId(s.user);
    if (!deleted) {
      if (s.user === req.asUser && isReader && !banned) mts.clear = s.delId;
      if (t.cat === 'grp') mts.online = (t.perUser.get(s.user)?.online ?? 0) > 0 && presencer;
      if (s.updatedAt.getTime() > 0) mts.updated = s.updatedAt;
      if (isReader && !banned) {
        mts.read = s.readSeqId;
        mts.recv = s.recvSeqId;
      }
      if (sharer || s.user === req.asUser || (subMode & (MODE_APPROVE | MODE_OWNER)) !== 0) {
        mts.acs = { mode: modeToString(subMode), want: modeToString(s.modeWant), given: modeToString(s.modeGiven) };
      }
      if (sendPubPriv) {
        // p2p: no public values (the reference reads a p2p topic's subscriptions without them).
        if (t.cat === 'grp') {
          mts.public = s.extra?.public ?? undefined;
          mts.trusted = s.extra?.trusted ?? undefined;
        }
        if (s.user === req.asUser) mts.private = s.private ?? undefined;
      }
    }
    out.push(mts);
  }
  req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, sub: out } });
}

/**
 * `{set desc}`: public, trusted and default access by the group's owner (trusted by root only),
 * private by each subscriber; of a p2p topic only private (anything else: 403); of `sys` and `slf`
 * only private, the rest ignored (304 when nothing else changed), as the reference.
 */
async function replySetDesc(t: ConvTopic, req: Request<SetMsg>, asChan: boolean): Promise<void> {
  const now = new Date();
  const d = req.msg.body.desc ?? {};
  if (d.trusted !== undefined && d.trusted !== null && req.authLvl !== AuthLevel.ROOT) {
    throw new ProtocolError('permissionDenied');
  }
  const core: TopicUpdate = {};
  let sendCommon = false;
  if (t.cat === 'sys' || t.cat === 'slf') {
    // Only private is kept; public, trusted and default access are ignored (the reference's replySetDesc).
  } else if (t.cat === 'p2p') {
    if ((d.public !== undefined && d.public !== null) || (d.trusted !== undefined && d.trusted !== null) || d.defacs) {
      throw new ProtocolError('permissionDenied');
    }
  } else if (t.owner === req.asUser) {
    const access = defaultAccessUpdate(t, d.defacs, t.env.p2pMode);
    if (access) core.access = access;
    const pub = mergeValue(t.public, d.public);
    if (pub.changed) core.public = pub.value;
    const tr = mergeValue(t.trusted, d.trusted);
    if (tr.changed) core.trusted = tr.value;
    sendCommon = pub.changed || tr.changed;
  } else if (d.defacs || (d.public !== undefined && d.public !== null) || (d.trusted !== undefined && d.trusted !== null)) {
    throw new ProtocolError('permissionDenied');
  }
  const pud = t.perUser.get(req.asUser);
  const priv = mergeValue(pud?.private ?? null, d.private);
  if (Object.keys(core).length === 0 && !priv.changed) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  if (Object.keys(core).length > 0) {
    core.updatedAt = now;
    await t.env.store.topics.update(t.name, core);
    if (core.access) t.access = core.access;
    if ('public' in core) t.public = core.public;
    if ('trusted' in core) t.trusted = core.trusted;
  }
  if (priv.changed) {
    if (!pud) throw new ProtocolError('permissionDenied');
    await t.env.store.subs.update(asChan ? req.original : t.name, req.asUser, { private: priv.value, updatedAt: now });
    pud.private = priv.value;
  }
  if (Object.keys(core).length > 0) {
    t.env.plugins.topic(t.name, t.pluginDesc(), ACT_UPDATE);
  }
  if (req.msg.extra?.attachments?.length && Object.keys(core).length > 0) {
    await linkAvatar(t, req.msg.extra.attachments);
  }
  if (sendCommon || priv.changed) {
    if (sendCommon) {
      t.presSubsOffline('upd', {}, { excludeUser: userId(req.asUser), filterIn: MODE_JOIN }, false, req.sess.sid);
      t.updated = now;
    }
    t.presSingleUserOffline(req.asUser, pud ? pud.modeGiven & pud.modeWant : 0, 'upd', {}, req.sess.sid);
  }
  req.sess.send(reply('ok', req.msg.id, req.original, now));
}

async function linkAvatar(t: ConvTopic, attachments: string[]): Promise<void> {
  const fids = attachments.map(fileIdFromUrl).filter((f): f is bigint => f !== null);
  if (fids.length > 0) {
    await t.env.store.files.linkAttachments(t.name, 0n, 0, fids).catch((err: unknown) => t.env.log.warn(`topic ${t.name}: failed to link avatar: ${String(err)}`));
  }
}

async function replyGetAux(t: ConvTopic, req: AnyReq): Promise<void> {
  if (t.cat !== 'p2p' && t.cat !== 'grp' && t.cat !== 'slf') {
    throw new ProtocolError('operationNotAllowed');
  }
  const now = new Date();
  if (t.aux && Object.keys(t.aux).length > 0) {
    req.sess.send({ meta: { id: req.msg.id || undefined, topic: t.original(req.asUser), ts: now, aux: t.aux } });
  } else {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'aux' }));
  }
}

async function replySetAux(t: ConvTopic, req: Request<SetMsg>): Promise<void> {
  if (t.cat !== 'p2p' && t.cat !== 'grp' && t.cat !== 'slf') {
    throw new ProtocolError('operationNotAllowed');
  }
  const mode = t.modeOf(req.asUser);
  if ((mode & (MODE_APPROVE | MODE_OWNER)) === 0) {
    throw new ProtocolError('permissionDenied');
  }
  const now = new Date();
  const merged = mergeValue(t.aux ?? {}, req.msg.body.aux ?? {});
  if (!merged.changed) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return;
  }
  const aux = (merged.value ?? {}) as Record<string, unknown>;
  await t.env.store.topics.update(t.name, { aux, updatedAt: now });
  t.aux = aux;
  t.presSubsOnline('aux', '', {}, { skipSid: req.sess.sid });
  req.sess.send(reply('ok', req.msg.id, t.original(req.asUser), now));
}
