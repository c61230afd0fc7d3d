import { MODE_JOIN, MODE_OWNER, MODE_PRES, MODE_UNSET, modeToString, parseMode } from '../../src/model/access.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { AccessModeMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../session/request.js';
import { NULL_VALUE } from './tags.js';
import type { Topic } from './topic.js';

/**
 * The parts of a subscription every kind shares: the user's mode and private value from
 * `{sub set}`, attaching the session, and the ctrl reply carrying the new access mode.
 */

/** What a `{sub}` asks to change about the user's own subscription. */
export function subRequest(req: Request<SubMsg>): { want: number; priv: unknown } {
  const set = req.msg.body.set;
  if (set?.sub?.user) {
    throw new ProtocolError('malformed');
  }
  let want = MODE_UNSET;
  if (set?.sub?.mode) {
    const m = parseMode(set.sub.mode);
    if (m === null) {
      throw new ProtocolError('malformed');
    }
    want = m;
  }
  return { want, priv: set?.desc?.private };
}

/**
 * Applies the requested mode and private value to a user's existing subscription (in the store
 * and in the topic). Returns the resulting access when it changed (or `force`), else null.
 * Throws permission denied when the user may not join.
 */
export async function updateOwnSubscription(
  t: Topic,
  req: Request<SubMsg>,
  want: number,
  priv: unknown,
  force = false,
): Promise<{ acs: AccessModeMsg | null; oldMode: number }> {
  const pud = t.perUser.get(req.asUser);
  if (!pud) {
    throw new ProtocolError('permissionDenied');
  }
  const oldWant = pud.modeWant;
  const oldGiven = pud.modeGiven;
  if (want !== MODE_UNSET) {
    if (t.owner === req.asUser && ((want & MODE_OWNER) === 0 || (want & MODE_JOIN) === 0)) {
      throw new ProtocolError('permissionDenied');
    }
    if ((want & MODE_OWNER) !== 0 && (pud.modeGiven & MODE_OWNER) === 0) {
      throw new ProtocolError('permissionDenied');
    }
    pud.modeWant = want;
  } else if ((oldWant & MODE_JOIN) === 0) {
    pud.modeWant = pud.modeGiven | t.accessFor(req.authLvl);
  }
  const update: { private?: unknown; modeWant?: number; modeGiven?: number; updatedAt?: Date } = {};
  if (priv === NULL_VALUE) {
    pud.private = null;
    update.private = null;
  } else if (priv !== undefined && priv !== null) {
    pud.private = priv;
    update.private = priv;
  }
  if (pud.modeWant !== oldWant) {
    update.modeWant = pud.modeWant;
  }
  if (Object.keys(update).length > 0) {
    update.updatedAt = new Date();
    await t.ctx.store.adapter.subsUpdate(t.name, req.asUser, update);
  }
  const changed = oldWant !== pud.modeWant || oldGiven !== pud.modeGiven;
  if ((pud.modeGiven & MODE_JOIN) === 0) {
    throw new ProtocolError('permissionDenied');
  }
  const acs = changed || force ? { want: modeToString(pud.modeWant), given: modeToString(pud.modeGiven), mode: modeToString(pud.modeWant & pud.modeGiven) } : null;
  return { acs, oldMode: oldWant & oldGiven };
}

/** Whether presence was on before and is off now (the user turned P off). */
export function presenceTurnedOff(oldMode: number, t: Topic, req: Request): boolean {
  return (oldMode & MODE_PRES) !== 0 && (t.modeOf(req.asUser) & MODE_PRES) === 0;
}

/** Attaches the session and sends the `{sub}` reply (200, with `params.acs` when it changed). */
export function attachAndReply(t: Topic, req: Request<SubMsg>, acs: AccessModeMsg | null, isChanSub = false): void {
  if ((t.modeOf(req.asUser) & MODE_JOIN) !== 0) {
    t.addSession(req.sess, req.asUser, isChanSub);
  }
  const params: Record<string, unknown> = {};
  if (acs) {
    params.acs = acs;
  }
  req.sess.send(reply('ok', req.msg.id, t.original(req.asUser), new Date(), params));
}
