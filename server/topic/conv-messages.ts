import { MODE_DELETE, MODE_PRES, MODE_READ, MODE_WRITE } from '../../src/model/access.js';
import { userId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, GetOpts, PubMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply, type ReplyKind } from '../../src/wire/replies.js';
import type { DataMsg, RangeMsg, ServerMessage } from '../../src/wire/server-messages.js';
import { errorReply } from '../request/error-reply.js';
import type { Request } from '../request/request.js';
import { normalizeRanges } from '../store/contract/ranges.js';
import type { Message, QueryOpt, Range } from '../store/contract/types.js';
import { fileIdFromUrl } from '../media/attachments.js';
import { pushForData } from './conv-push.js';
import type { ConvTopic } from './conversation.js';
import { callRefusal, isCallStart, startCall } from './conv-calls.js';

/** Messages of a conversation: publishing, history, deletion. */

/** A `{pub}` waiting for the topic's next group commit. */
export interface PendingPub {
  req: Request<PubMsg>;
  done: () => void;
}

/** The most separate ranges of seq ids one `{get}` may ask for. */
const MAX_QUERY_RANGES = 256;

/** The most messages one `{del}` with several ranges may name (the reference's limit). */
const MAX_DELETE_COUNT = 1024;

/**
 * Stores a batch of publications in one transaction, then acknowledges each with its seq and
 * broadcasts it. Refused ones get their reply and take no seq. A message the store refuses fails
 * alone (see {@link saveBatch}); when the store is down every message gets the error and the
 * topic's seq does not move.
 */
export async function flushPublished(t: ConvTopic, batch: PendingPub[]): Promise<void> {
  const accepted: Accepted[] = [];
  let seq = t.lastId;
  let callInBatch = false;
  for (const { req } of batch) {
    const refusal = pubRefusal(t, req, callInBatch);
    if (!refusal && isCallStart(req)) callInBatch = true;
    if (refusal) {
      req.sess.send(reply(refusal, req.msg.id, t.nameFor(req), req.ts));
      continue;
    }
    let head = req.msg.body.head ? { ...req.msg.body.head } : null;
    if (req.asUser !== req.sess.uid) {
      // Root publishing on behalf of a user: the real sender is named.
      head = { ...(head ?? {}), sender: userId(req.sess.uid) };
    } else if (head && 'sender' in head) {
      delete head.sender;
      if (Object.keys(head).length === 0) head = null;
    }
    seq++;
    const msg: Message = {
      id: 0,
      createdAt: req.ts,
      updatedAt: req.ts,
      deletedAt: null,
      delId: 0,
      seqId: seq,
      topic: t.name,
      from: req.asUser,
      head,
      content: req.msg.body.content,
    };
    const attachments = (req.msg.extra?.attachments ?? []).map(fileIdFromUrl).filter((f): f is Uid => f !== null);
    accepted.push({ req, msg, attachments });
  }
  const saved = await saveBatch(t, accepted);
  if (saved.length === 0) {
    return;
  }
  for (const a of saved) {
    if (a.attachments.length > 0) {
      await t.env.store.files.linkAttachments(t.name, 0n, a.msg.id, a.attachments).catch((err: unknown) => {
        t.env.log.warn(`topic ${t.name}: failed to link attachments of message ${a.msg.seqId}: ${String(err)}`);
      });
    }
  }
  for (const { req, msg } of saved) {
    stored(t, req.asUser, msg);
    if (req.msg.id) {
      req.sess.send(reply('accepted', req.msg.id, t.nameFor(req), req.ts, { seq: msg.seqId }));
    }
    announce(t, req.asUser, msg, req.original, req.msg.body.noecho ? req.sess.sid : undefined);
    if (isCallStart(req)) startCall(t, req, msg);
  }
}

/**
 * Stores and delivers a message the server writes in a user's name (a call's outcome), as a
 * publication of that user would be. False when the store refused it (logged).
 */
export async function publishFromServer(t: ConvTopic, from: Uid, head: Record<string, unknown>, content: unknown): Promise<boolean> {
  const now = new Date();
  const msg: Message = { id: 0, createdAt: now, updatedAt: now, deletedAt: null, delId: 0, seqId: t.lastId + 1, topic: t.name, from, head, content };
  try {
    await t.env.store.messages.saveAll(t.name, [msg], readerOf(t));
  } catch (err) {
    t.env.log.warn(`topic ${t.name}: failed to save a message of the server: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  stored(t, from, msg);
  announce(t, from, msg, t.original(from), undefined);
  return true;
}

/** A stored message moves the topic's seq; its sender has read it. */
function stored(t: ConvTopic, from: Uid, msg: Message): void {
  t.lastId = msg.seqId;
  t.touched = msg.createdAt;
  const pud = t.perUser.get(from);
  if (pud) {
    pud.readId = msg.seqId;
    pud.recvId = msg.seqId;
  }
}

/**
 * Tells everyone of a stored message: `{pres msg}` to subscribers not attached, `{data}` to the
 * attached sessions (but `skipSid`), plugins, push.
 */
function announce(t: ConvTopic, from: Uid, msg: Message, original: string, skipSid: string | undefined): void {
  const data: DataMsg = { topic: original, from: userId(from), ts: msg.createdAt, seq: msg.seqId, content: msg.content };
  if (msg.head) data.head = msg.head;
  t.presSubsOffline('msg', { seq: msg.seqId, actor: userId(from) }, { filterIn: MODE_READ }, true);
  const out: ServerMessage = { data };
  t.fanOut(out, { skipSid });
  t.env.plugins.message(data);
  t.env.push.send(pushForData(t, from, data));
}

/** Whether a user can read the topic: a sender who can has read their own messages (marks move in the same commit). */
function readerOf(t: ConvTopic): (uid: Uid) => boolean {
  return (uid) => {
    const pud = t.perUser.get(uid);
    return pud !== undefined && (pud.modeWant & pud.modeGiven & MODE_READ) !== 0;
  };
}

interface Accepted {
  req: Request<PubMsg>;
  msg: Message;
  attachments: Uid[];
}

/**
 * Saves the messages in one transaction. If that fails, each is tried alone, so that one message
 * the database refuses fails alone: the others are saved with their seq ids renumbered to stay
 * contiguous. Whoever is not saved gets the error as the reply. Returns the saved ones.
 */
async function saveBatch(t: ConvTopic, accepted: Accepted[]): Promise<Accepted[]> {
  const { messages } = t.env.store;
  // Senders who can read have read their own messages: their marks move in the same commit.
  const canRead = readerOf(t);
  const fail = (a: Accepted, err: unknown) => a.req.sess.send(errorReply(err, a.req.msg.id, t.nameFor(a.req), a.req.ts));
  if (accepted.length === 0) {
    return [];
  }
  try {
    await messages.saveAll(t.name, accepted.map((a) => a.msg), canRead);
    return accepted;
  } catch (err) {
    t.env.log.warn(`topic ${t.name}: failed to save ${accepted.length} message(s): ${err instanceof Error ? err.message : String(err)}`);
    if (accepted.length === 1) {
      fail(accepted[0]!, err);
      return [];
    }
  }
  const saved: Accepted[] = [];
  let seq = t.lastId;
  for (const a of accepted) {
    const msg = { ...a.msg, seqId: seq + 1 };
    try {
      await messages.saveAll(t.name, [msg], canRead);
    } catch (err) {
      t.env.log.warn(`topic ${t.name}: failed to save a message alone: ${err instanceof Error ? err.message : String(err)}`);
      fail(a, err);
      continue;
    }
    seq++;
    saved.push({ ...a, msg });
  }
  return saved;
}

/** Why a publication is refused, or null. */
function pubRefusal(t: ConvTopic, req: Request<PubMsg>, callInBatch: boolean): ReplyKind | null {
  if (t.deleted || t.isStopping) {
    return 'locked';
  }
  if (isCallStart(req)) {
    // Calls off (501), not a p2p topic (403), a call already on (486), as the reference checks.
    const refusal = callRefusal(t, callInBatch);
    if (refusal) return refusal;
  }
  if (t.cat !== 'sys' && (t.modeOf(req.asUser) & MODE_WRITE) === 0) {
    return 'permissionDenied';
  }
  return null;
}

function storeOpts(opts: GetOpts | undefined): QueryOpt {
  const q: QueryOpt = {};
  if (!opts) return q;
  if (opts.since) q.since = opts.since;
  if (opts.before) q.before = opts.before;
  if (opts.limit) q.limit = opts.limit;
  if (opts.ranges?.length) {
    const ranges = normalizeRanges(opts.ranges.map((r) => ({ low: r.low ?? 0, hi: r.hi ?? 0 })));
    if (ranges.length > MAX_QUERY_RANGES) {
      throw new ProtocolError('malformed');
    }
    q.ranges = ranges;
  }
  return q;
}

/** `{get what="data"}`: stored messages as `{data}`, newest first, then ctrl 208 with the count (or 204). */
export async function replyGetData(t: ConvTopic, req: Request<GetMsg> | Request<SubMsg>, opts: GetOpts | undefined, asChan: boolean): Promise<void> {
  await checkGetData(t, req, opts, asChan)();
}

/**
 * Checks a `{get what="data"}` now (throws the refusal) and returns the read and the answer, which
 * change nothing in the topic (so they may run after its inbox).
 */
export function checkGetData(t: ConvTopic, req: Request<GetMsg> | Request<SubMsg>, opts: GetOpts | undefined, asChan: boolean): () => Promise<void> {
  if (opts && (opts.ims || opts.user || opts.topic)) {
    throw new ProtocolError('malformed');
  }
  if ((t.modeOf(req.asUser) & MODE_READ) === 0) {
    throw new ProtocolError('permissionDenied');
  }
  const topic = asChan ? req.original : t.original(req.asUser);
  const query = storeOpts(opts);
  return async () => {
    const messages = await t.env.store.messages.getAll(t.name, req.asUser, query);
    sendPage(req, messages, topic, asChan);
  };
}

/** The page as `{data}` frames, newest first, then its ctrl (208 with the count, or 204). */
function sendPage(req: Request<GetMsg> | Request<SubMsg>, messages: Message[], topic: string, asChan: boolean): void {
  for (const m of messages) {
    const data: DataMsg = { topic, ts: m.createdAt, seq: m.seqId, content: m.content };
    if (!asChan) data.from = userId(m.from);
    if (m.head) data.head = m.head;
    req.sess.send({ data });
  }
  const now = new Date();
  if (messages.length === 0) {
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'data' }));
  } else {
    req.sess.send(reply('delivered', req.msg.id, req.original, now, { what: 'data', count: messages.length }));
  }
}

/** `{get what="del"}`: the ranges deleted for this user and the latest delete id. */
export async function replyGetDel(t: ConvTopic, req: Request<GetMsg> | Request<SubMsg>, opts: GetOpts | undefined): Promise<void> {
  if (opts && (opts.ims || opts.user || opts.topic)) {
    throw new ProtocolError('malformed');
  }
  const topic = t.original(req.asUser);
  const now = new Date();
  if ((t.modeOf(req.asUser) & MODE_READ) !== 0) {
    const { ranges, maxDelId } = await t.env.store.messages.getDeletedRanges(t.name, req.asUser, storeOpts(opts));
    if (ranges.length > 0) {
      req.sess.send({ meta: { id: req.msg.id || undefined, topic, ts: now, del: { clear: maxDelId, delseq: toWire(ranges) } } });
      return;
    }
  }
  req.sess.send(reply('noContent', req.msg.id, topic, now, { what: 'del' }));
}

function toWire(ranges: Range[]): RangeMsg[] {
  return ranges.map((r) => (r.hi > 0 ? { low: r.low, hi: r.hi } : { low: r.low }));
}

/**
 * `{del what="msg"}`: hard (for everyone, needs D; without D it quietly becomes soft) or soft
 * (for the user only). Each deletion gets the next delete id, returned as `params.del`.
 */
export async function deleteMessages(t: ConvTopic, req: Request<DelMsg>): Promise<void> {
  if (t.asChannel(req)) {
    throw new ProtocolError('operationNotAllowed');
  }
  const pud = t.perUser.get(req.asUser);
  const mode = t.modeOf(req.asUser);
  let hard = req.msg.body.hard === true;
  if ((mode & MODE_DELETE) === 0) {
    if ((mode & MODE_READ) === 0 || !pud) {
      throw new ProtocolError('permissionDenied');
    }
    hard = false;
  }
  const list = req.msg.body.delseq ?? [];
  if (list.length === 0) {
    throw new ProtocolError('malformed');
  }
  let ranges: Range[] = [];
  let count = 0;
  for (const dq of list) {
    const low = dq.low ?? 0;
    let hi = dq.hi ?? 0;
    if (low > t.lastId || low < 0 || hi < 0 || (hi > 0 && low > hi) || (low === 0 && hi === 0)) {
      throw new ProtocolError('malformed');
    }
    if (hi > t.lastId) {
      hi = t.lastId + 1;
    } else if (low === hi || low + 1 === hi) {
      hi = 0;
    }
    count += hi === 0 ? 1 : hi - low;
    ranges.push({ low, hi });
  }
  ranges = normalizeRanges(ranges);
  if (count > MAX_DELETE_COUNT && ranges.length > 1) {
    throw new ProtocolError('malformed');
  }
  const delId = t.delId + 1;
  const forUser = hard ? 0n : req.asUser;
  await t.env.store.messages.delete(t.name, delId, forUser, hard ? t.env.limits.msgDeleteAge * 1000 : 0, ranges);
  t.delId = delId;
  const delseq = toWire(ranges);
  if (hard) {
    for (const p of t.perUser.values()) p.delId = delId;
    const params = { clear: delId, delseq, actor: userId(req.asUser) };
    t.presSubsOnline('del', userId(req.asUser), params, { filterIn: MODE_READ, skipSid: req.sess.sid });
    t.presSubsOffline('del', params, { filterIn: MODE_READ }, true, req.sess.sid);
  } else if (pud) {
    pud.delId = delId;
    if ((mode & MODE_PRES) !== 0) {
      const params = { clear: delId, delseq };
      const user = userId(req.asUser);
      t.presSubsOnline('del', user, params, { singleUser: user, skipSid: req.sess.sid });
      t.presSingleUserOffline(req.asUser, mode, 'del', params, req.sess.sid, true);
    }
  }
  req.sess.send(reply('ok', req.msg.id, req.original, new Date(), { del: delId }));
}
