import { ACT_DELETE } from '../plugins/config.js';
import { MODE_OWNER } from '../../src/model/access.js';
import { grpToChn, parseUserId, userId } from '../../src/model/uid.js';
import type { DelMsg } from '../../src/wire/client-messages.js';
import { reply } from '../../src/wire/replies.js';
import type { TopicEnv } from '../topic/env.js';
import type { Request } from '../request/request.js';
import { isStoreError } from '../store/contract/errors.js';
import { notifyOn, presToUser } from '../topic/presence.js';

/**
 * `{del what="topic"}` for a topic that is not loaded, decided from the store as the reference
 * does: the owner deletes a group; anyone else (and a channel reader) unsubscribes; the last
 * participant of a p2p topic deletes it.
 */
export async function deleteTopicOffline(ctx: TopicEnv, req: Request<DelMsg>): Promise<void> {
  const { store } = ctx;
  const now = new Date();
  const uid = req.asUser;
  let topic = req.rcptTo;
  let subs;
  if (req.target?.channel) {
    topic = grpToChn(req.rcptTo);
    subs = await store.topics.getUsers(topic, false, { user: uid });
  } else {
    subs = await store.topics.getUsers(topic, false);
  }
  const isP2P = topic.startsWith('p2p');
  if (subs.length === 0) {
    if (isP2P && (await store.topics.get(topic))) {
      await store.topics.delete(topic, false, true);
    }
    req.sess.send(reply('noAction', req.msg.id, req.original, now));
    return;
  }
  const sub = subs.find((s) => s.user === uid);
  if (!sub) {
    req.sess.send(reply('noAction', req.msg.id, req.original, now));
    return;
  }
  if ((sub.modeGiven & sub.modeWant & MODE_OWNER) === 0) {
    if (isP2P && subs.length < 2) {
      await store.topics.delete(topic, false, true);
    } else {
      try {
        await store.subs.delete(topic, uid);
        ctx.plugins.subscription({ topic, user: uid }, ACT_DELETE);
      } catch (err) {
        if (isStoreError(err, 'not-found')) {
          req.sess.send(reply('noAction', req.msg.id, req.original, now));
          return;
        }
        throw err;
      }
    }
    presToUser(ctx, uid, req.original, 'gone', {}, { skipSid: req.sess.sid });
    if (isP2P && subs.length === 2) {
      const peer = parseUserId(req.original);
      if (peer !== 0n) {
        presToUser(ctx, uid, userId(peer), '?none+rem', {});
        presToUser(ctx, peer, userId(uid), 'off', {});
      }
    }
  } else {
    await store.topics.delete(topic, true, req.msg.body.hard === true);
    ctx.plugins.topic(topic, null, ACT_DELETE);
    for (const s of subs) {
      if (s.user === uid && !notifyOn(topic, 'gone', true)) continue;
      presToUser(ctx, s.user, topic, 'gone', {}, { skipSid: req.sess.sid });
    }
  }
  req.sess.send(reply('ok', req.msg.id, req.original, now));
}
