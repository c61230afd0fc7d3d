import type { DelMsg, GetMsg, LeaveMsg, NoteMsg, PubMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { uidToString } from '../../src/model/uid.js';
import { metaWhat, META_AUX, META_CRED, META_DESC, META_SUB, META_TAGS } from '../../src/wire/meta-what.js';
import { handleDelUser } from './acc.js';
import { resolveTopic } from '../request/topic-name.js';
import type { SessionRequest as Request } from './session.js';

/**
 * The session's side of topic requests: name resolution and the checks the reference makes
 * before handing a request to the hub (attached or not, what a detached session may ask).
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
  if (req.sess.subs.has(req.rcptTo)) {
    if ((req.original === 'me' || req.original === 'fnd') && req.msg.body.unsub) {
      throw new ProtocolError('permissionDenied');
    }
    await req.sess.ctx.hub.leave(req);
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
  // Only `sys` takes messages from sessions not attached to it: the hub knows.
  await req.sess.ctx.hub.publish(req);
}

export async function handleGet(r: Request<GetMsg>): Promise<void> {
  const req = routed(r);
  const what = metaWhat(req.msg.body.what);
  if (what === 0) {
    throw new ProtocolError('malformed');
  }
  if (req.sess.subs.has(req.rcptTo)) {
    await req.sess.ctx.hub.meta(req);
  } else if (what & (META_DESC | META_SUB)) {
    await req.sess.ctx.hub.metaDetached(req);
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
  if (req.sess.subs.has(req.rcptTo)) {
    await req.sess.ctx.hub.meta(req);
    return;
  }
  if (what & (META_TAGS | META_CRED | META_AUX)) {
    // Tags, credentials and aux need an attached topic.
    throw new ProtocolError('permissionDenied');
  }
  // A user's own private value and wanted mode change without attaching.
  await req.sess.ctx.hub.metaDetached(req);
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
    await req.sess.ctx.hub.deleteTopic(req);
    return;
  }
  if (!req.sess.subs.has(req.rcptTo)) {
    throw new ProtocolError('attachFirst');
  }
  await req.sess.ctx.hub.meta(req);
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
  if (req.sess.subs.has(req.rcptTo) || n.what === 'recv' || (n.what === 'call' && DETACHED_CALL_EVENTS.has(n.event ?? ''))) {
    // Not attached: a receipt after fetching messages, or a callee's device answering a call,
    // reach the topic if it is live (the router decides), as in the reference.
    await req.sess.ctx.hub.note(req);
  } else if (n.what !== 'call') {
    // The reference answers this one note, without an id.
    req.sess.send(reply('attachFirst', '', req.original, req.ts));
  }
}

/** Call events a session may send to a topic it is not attached to: a callee's devices answering. */
const DETACHED_CALL_EVENTS: ReadonlySet<string> = new Set(['ringing', 'accept', 'hang-up']);
