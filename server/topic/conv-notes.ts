import { MODE_PRES, MODE_READ, MODE_WRITE } from '../../src/model/access.js';
import { isChannel, userId } from '../../src/model/uid.js';
import type { NoteMsg } from '../../src/wire/client-messages.js';
import type { InfoMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import type { ConvTopic } from './conversation.js';
import { pushForRead } from './conv-push.js';
import { handleCallNote } from './conv-calls.js';

/**
 * `{note}` on a conversation: typing (`kp`, `kpa`, `kpv`) needs W; receipts (`recv`, `read`)
 * need R, are stored, never move backwards nor past the topic's last message; `data` carries a
 * payload. Each goes to the other attached sessions as `{info}`, and to subscribers who are not
 * attached on their `me`. Bad notes are dropped silently, as the reference does.
 */
export async function handleNote(t: ConvTopic, req: Request<NoteMsg>): Promise<void> {
  const n = req.msg.body;
  const noteSeq = n.seq ?? 0;
  if (noteSeq > t.lastId) {
    return;
  }
  let asChan = false;
  if (isChannel(req.original)) {
    if (!t.isChannel()) return;
    asChan = true;
  }
  const uid = req.asUser;
  const pud = t.perUser.get(uid);
  const mode = pud && !pud.deleted ? pud.modeGiven & pud.modeWant : 0;
  switch (n.what) {
    case 'kp':
    case 'kpa':
    case 'kpv':
      if ((mode & MODE_WRITE) === 0) return;
      break;
    case 'read':
    case 'recv':
      if ((mode & MODE_READ) === 0) return;
      break;
    case 'call':
      await handleCallNote(t, req);
      return;
    case 'data':
      if (!pud || pud.deleted) return;
      break;
    default:
      return;
  }
  let seq = 0;
  if (pud && n.what === 'read') {
    if (noteSeq <= pud.readId) return;
    pud.readId = noteSeq;
    if (pud.readId > pud.recvId) pud.recvId = pud.readId;
    seq = pud.readId;
  } else if (pud && n.what === 'recv') {
    if (noteSeq <= pud.recvId) return;
    pud.recvId = Math.max(noteSeq, pud.readId);
    seq = pud.recvId;
  }
  if (pud && seq > 0) {
    const marks = n.what === 'read' ? { readSeqId: pud.readId, recvSeqId: pud.recvId } : { recvSeqId: pud.recvId };
    try {
      // In the next group commit. Not a change of the subscription (no `updatedAt`): contact
      // lists asked with `ims` skip it.
      await t.env.store.subs.moveMarks(asChan ? req.original : t.name, uid, marks);
    } catch (err) {
      t.env.log.warn(`topic ${t.name}: failed to store ${n.what} of ${userId(uid)}: ${String(err)}`);
      return;
    }
    // The user's other sessions, not attached here, hear it on me; other devices clear badges.
    t.presSingleUserOffline(uid, mode, n.what, { seq }, req.sess.sid, true);
    if (n.what === 'read') t.env.push.send(pushForRead(t, uid, seq));
  }
  if (asChan) {
    return;
  }
  const from = userId(uid);
  // Subscribers not attached here hear receipts and typing on their me.
  for (const [other, op] of t.perUser) {
    const m = op.modeGiven & op.modeWant;
    if (op.deleted || op.isChan || (m & MODE_PRES) === 0 || (m & MODE_READ) === 0) continue;
    const info: InfoMsg = { topic: 'me', src: t.original(other), from, what: n.what };
    if (seq > 0 || noteSeq > 0) info.seq = seq || noteSeq;
    t.env.host.route(userId(other), { kind: 'info', info, skipTopic: t.name, skipSid: req.sess.sid });
  }
  const info: InfoMsg = { topic: req.original, from, what: n.what };
  if (noteSeq > 0) info.seq = noteSeq;
  if (n.what === 'data' && n.payload !== undefined) info.payload = n.payload;
  if (n.event) info.event = n.event;
  t.fanOut({ info }, { skipSid: req.sess.sid });
}
