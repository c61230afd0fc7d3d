import { ACT_DELETE } from '../plugins/config.js';
import { MODE_APPROVE, MODE_CCHN_READER, MODE_JOIN, MODE_OWNER, MODE_UNSET } from '../../src/model/access.js';
import { grpToChn, parseUserId } from '../../src/model/uid.js';
import type { DelMsg, LeaveMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { Request } from '../request/request.js';
import type { Client } from '../request/client.js';
import { isStoreError } from '../store/contract/errors.js';
import type { ConvTopic } from './conversation.js';

/** Leaving a conversation for good: unsubscribing oneself, removing someone else, deleting it. */

/**
 * Deletes the conversation from the store and stops it; runs in the topic's inbox. `req` is null
 * when the topic goes because the last p2p participant left. After the current inbox job the
 * topic tells its members and detaches everyone.
 */
export async function deleteConversation(t: ConvTopic, req: Request<DelMsg> | null): Promise<void> {
  const hard = req ? req.msg.body.hard === true || t.cat === 'p2p' : true;
  t.deleted = true;
  try {
    await t.env.store.topics.delete(t.name, t.isChannel(), hard);
  } catch (err) {
    t.deleted = false;
    throw err;
  }
  if (req) {
    req.sess.send(reply('ok', req.msg.id, req.original, new Date()));
  }
  t.env.plugins.topic(t.name, null, ACT_DELETE);
  t.env.host.remove(t);
  void t.unload('deleted', req?.sess.sid);
}

/**
 * `{leave unsub=true}` or `{del what="topic"}` by a non-owner: the subscription is deleted, every
 * session of the user leaves with ctrl 205 (except the requesting one, which gets 200).
 */
export async function leaveAndUnsubscribe(t: ConvTopic, sess: Client, req: Request<LeaveMsg | DelMsg>): Promise<void> {
  const uid = req.asUser;
  if (t.owner === uid) {
    throw new ProtocolError('permissionDenied');
  }
  const asChan = t.asChannel(req);
  const pud = t.perUser.get(uid);
  const now = new Date();
  const storeName = pud?.isChan || asChan ? grpToChn(t.name) : t.name;
  try {
    await t.env.store.subs.delete(storeName, uid);
  } catch (err) {
    if (isStoreError(err, 'not-found')) {
      sess.send(reply('noAction', req.msg.id, req.original, now));
      return;
    }
    throw err;
  }
  sess.send(reply('ok', req.msg.id, req.original, now));
  t.env.plugins.subscription({ topic: storeName, user: uid }, ACT_DELETE);
  const [oldWant, oldGiven] = asChan ? [MODE_CCHN_READER, MODE_CCHN_READER] : [pud?.modeWant ?? MODE_UNSET, pud?.modeGiven ?? MODE_UNSET];
  t.notifySubChange(uid, uid, asChan, oldWant, oldGiven, MODE_UNSET, MODE_UNSET, sess.sid);
  t.evictUser(uid, true, sess.sid);
  t.memberRemoved();
  if (t.cat === 'p2p' && t.subsCount() === 0) {
    // Both participants left: the topic goes too.
    await deleteConversation(t, null);
  }
}

/** `{del what="sub" user=…}`: an admin removes another user (not the owner, not a self-banned one). */
export async function deleteSubscription(t: ConvTopic, req: Request<DelMsg>): Promise<void> {
  if (t.asChannel(req)) {
    throw new ProtocolError('permissionDenied');
  }
  const target = parseUserId(req.msg.body.user ?? '');
  const mode = t.modeOf(req.asUser);
  if ((mode & (MODE_APPROVE | MODE_OWNER)) === 0 || target === 0n || target === req.asUser || t.cat === 'p2p') {
    throw new ProtocolError('permissionDenied');
  }
  const pud = t.perUser.get(target);
  const now = new Date();
  if (!pud || pud.deleted) {
    req.sess.send(reply('noAction', req.msg.id, req.original, now));
    return;
  }
  if ((pud.modeGiven & pud.modeWant & MODE_OWNER) !== 0 || (pud.modeWant & MODE_JOIN) === 0) {
    // The owner cannot be removed; a user who blocked the topic stays blocked.
    throw new ProtocolError('permissionDenied');
  }
  try {
    await t.env.store.subs.delete(t.name, target);
    req.sess.send(reply('ok', req.msg.id, req.original, now));
    t.env.plugins.subscription({ topic: t.name, user: target }, ACT_DELETE);
  } catch (err) {
    if (!isStoreError(err, 'not-found')) throw err;
    req.sess.send(reply('noAction', req.msg.id, req.original, now));
  }
  t.notifySubChange(target, req.asUser, false, pud.modeWant, pud.modeGiven, MODE_UNSET, MODE_UNSET, req.sess.sid);
  t.evictUser(target, true);
  t.memberRemoved();
}
