import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { offlineGetDesc, offlineGetSub, offlineSetSub } from '../hub/offline.js';
import { uidToString } from '../../src/model/uid.js';
import { metaWhat, META_AUX, META_CRED, META_DESC, META_SUB, META_TAGS } from '../../src/wire/meta-what.js';
import { handleDelUser } from './acc.js';
import type { Request } from '../request/request.js';
import { resolveTopic } from '../request/topic-name.js';

/**
 * The session's side of topic requests: name resolution and the checks the reference makes
 * before handing a request to the topic (attached or not, what a detached session may ask).
 */

/** The request with its topic name resolved for the acting user (the one place that does it). */
function routed<T extends Request>(req: T, isSub = false): T {
  const target = resolveTopic(req.original, req.asUser, isSub);
  return { ...req, rcptTo: target.name, target };
}

export async function handleSub(r: Request<SubMsg>): Promise<void> {
  let req = routed(r, true);
  if (req.target?.kind === 'new') {
    // A new group or channel gets its permanent name now; the reply carries the temporary one.
    req = { ...req, rcptTo: 'grp' + uidToString(r.sess.ctx.store.newUid()) };
  }
  if (req.sess.subs.has(req.rcptTo)) {
    req.sess.send(reply('alreadySubscribed', req.msg.id, req.original, req.ts));
    return;
  }
  await req.sess.ctx.hub.join(req);
}

export async function handleLeave(r: Request<LeaveMsg>): Promise<void> {
  const req = routed(r);
  const topic = req.sess.subs.get(req.rcptTo);
  if (topic) {
    if ((req.original === 'me' || req.original === 'fnd') && req.msg.body.unsub) {
      throw new ProtocolError('permissionDenied');
    }
    await topic.leave(req);
    return;
  }
  if (!req.msg.body.unsub) {
    req.sess.send(reply('notJoined', req.msg.id, req.original, req.ts));
  } else {
    throw new ProtocolError('attachFirst');
  }
}

export async function handlePub(r: Request<PubMsg>): Promise<void> {
  const req = routed(r);
  const topic = req.sess.subs.get(req.rcptTo);
  if (!topic) {
    // Only `sys` takes messages from sessions not attached to it.
    await req.sess.ctx.hub.publishDetached(req);
    return;
  }
  await topic.publish(req);
}

export async function handleGet(r: Request<GetMsg>): Promise<void> {
  const req = routed(r);
  const what = metaWhat(req.msg.body.what);
  if (what === 0) {
    throw new ProtocolError('malformed');
  }
  const topic = req.sess.subs.get(req.rcptTo);
  if (topic) {
    await topic.meta(req);
  } else if (what & META_DESC) {
    await offlineGetDesc(req);
  } else if (what & META_SUB) {
    await offlineGetSub(req);
  } else {
    throw new ProtocolError('permissionDenied');
  }
}

export async function handleSet(r: Request<SetMsg>): Promise<void> {
  const req = routed(r);
  const b = req.msg.body;
  const what = (b.desc ? META_DESC : 0) | (b.sub ? META_SUB : 0) | (b.tags ? META_TAGS : 0) | (b.cred ? META_CRED : 0) | (b.aux ? META_AUX : 0);
  if (what === 0) {
    throw new ProtocolError('malformed');
  }
  const topic = req.sess.subs.get(req.rcptTo);
  if (topic) {
    await topic.meta(req);
    return;
  }
  if (what & (META_TAGS | META_CRED | META_AUX)) {
    // Tags, credentials and aux need an attached topic.
    throw new ProtocolError('permissionDenied');
  }
  // A user's own private value and wanted mode change without attaching.
  await offlineSetSub(req);
}

export async function handleDel(r: Request<DelMsg>): Promise<void> {
  const what = r.msg.body.what || 'msg';
  if (what === 'user') {
    await handleDelUser(r);
    return;
  }
  const req = routed(r);
  if (!['msg', 'topic', 'sub', 'cred'].includes(what)) {
    throw new ProtocolError('malformed');
  }
  if (what === 'topic') {
    // Attached or not: the hub knows whether the topic is live.
    await req.sess.ctx.hub.deleteTopicRequest(req);
    return;
  }
  const topic = req.sess.subs.get(req.rcptTo);
  if (!topic) {
    throw new ProtocolError('attachFirst');
  }
  await topic.meta(req);
}

export async function handleNote(r: Request<NoteMsg>): Promise<void> {
  if (r.sess.ver === 0 || r.asUser === 0n) {
    return;
  }
  let req: Request<NoteMsg>;
  try {
    req = routed(r);
  } catch {
    return;
  }
  const n = req.msg.body;
  switch (n.what) {
    case 'data':
      if (n.payload === undefined) return;
      break;
    case 'kp':
    case 'kpa':
    case 'kpv':
      if (n.seq) return;
      break;
    case 'call':
      if (!req.rcptTo.startsWith('p2p')) return;
      if (!n.seq || n.seq <= 0) return;
      break;
    case 'read':
    case 'recv':
      if (!n.seq || n.seq <= 0) return;
      break;
    default:
      return;
  }
  const topic = req.sess.subs.get(req.rcptTo);
  if (topic) {
    await topic.note(req);
  } else if (n.what !== 'recv' && n.what !== 'call') {
    // The reference answers this one note, without an id.
    req.sess.send(reply('attachFirst', '', req.original, req.ts));
  }
}
