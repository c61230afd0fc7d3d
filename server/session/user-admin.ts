import { ACT_DELETE } from '../plugins/config.js';
import { userId, type Uid } from '../../src/model/uid.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerContext } from './context.js';
import { isStoreError, StoreError } from '../store/contract/errors.js';
import { ObjState, parseObjState } from '../store/contract/types.js';
import type { Session } from './session.js';

/**
 * Account administration: suspending and restoring accounts (root), deleting accounts. Both end
 * the user's sessions with "evicted" and stop the user's live topics.
 */

/** Ends every session of a user (except `skipSid`) with the reference's "evicted". */
function evict(ctx: ServerContext, uid: Uid, skipSid: string): void {
  ctx.sessions.evictUser(uid, skipSid, reply('evicted', '', '', new Date()));
}

/** Stops the user's live topics: me, fnd, slf, p2p topics with the user, groups the user owns. */
async function stopUserTopics(ctx: ServerContext, uid: Uid): Promise<void> {
  await ctx.hub.stopTopicsForUser(uid);
}

/** Changes an account's state (`ok`, `susp`); returns false when it already was in that state. */
export async function changeUserState(ctx: ServerContext, _sess: Session, uid: Uid, current: ObjState, stateName: string): Promise<boolean> {
  const state = parseObjState(stateName);
  if (state === null || state === ObjState.UNDEFINED) {
    throw new StoreError('malformed');
  }
  if (state === current) {
    return false;
  }
  if (state !== ObjState.OK) {
    evict(ctx, uid, '');
    await stopUserTopics(ctx, uid);
  }
  await ctx.store.users.update(uid, { state, stateAt: new Date() });
  return true;
}

/** Deletes an account: auth records, sessions, topics, then the user (soft or hard). */
export async function deleteUser(ctx: ServerContext, sess: Session, uid: Uid, hard: boolean): Promise<void> {
  for (const name of ctx.auth.names()) {
    const scheme = ctx.auth.get(name);
    if (!scheme) continue;
    try {
      await scheme.delRecords(uid);
    } catch (err) {
      if (isStoreError(err, 'unsupported')) {
        throw new ProtocolError('operationNotAllowed');
      }
      ctx.log.warn(`delete user ${userId(uid)}: ${name} records: ${String(err)}`);
    }
  }
  evict(ctx, uid, sess.sid);
  await stopUserTopics(ctx, uid);
  try {
    ctx.hub.announceGone(uid, (await ctx.store.subs.forUser(uid)).map((s) => s.topic));
  } catch (err) {
    ctx.log.warn(`delete user ${userId(uid)}: notifying contacts: ${String(err)}`);
  }
  const user = await ctx.store.users.get(uid);
  await ctx.store.users.delete(uid, hard);
  if (user) ctx.plugins.account(user, ACT_DELETE);
  ctx.log.info(`user ${userId(uid)} deleted${hard ? ' (hard)' : ''}${sess.uid === uid ? '' : ` by ${userId(sess.uid)}`}`);
}
