import { MODE_JOIN, MODE_NONE, MODE_OWNER, MODE_PRES, MODE_UNSET, modeDelta, modeToString, parseMode } from '../../src/model/access.js';
import { parseUserId, userId } from '../../src/model/uid.js';
import type { SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { AccessModeMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import { NULL_VALUE } from '../../src/model/tags.js';
import type { Topic } from './topic.js';

/**
 * The parts of a subscription every kind shares: the user's mode and private value from
 * `{sub set}`, attaching the session, and the ctrl reply carrying the new access mode.
 */

/** A requested mode: unset when none is given; malformed when it does not parse. */
function wantedMode(text: string | undefined): number {
  if (!text) {
    return MODE_UNSET;
  }
  const m = parseMode(text);
  if (m === null) {
    throw new ProtocolError('malformed');
  }
  return m;
}

/** What a `{sub}` asks to change about the user's own subscription. */
export function subRequest(req: Request<SubMsg>): { want: number; priv: unknown } {
  const set = req.msg.body.set;
  if (set?.sub?.user) {
    throw new ProtocolError('malformed');
  }
  return { want: wantedMode(set?.sub?.mode), priv: set?.desc?.private };
}

/**
 * Applies the requested mode and private value to a user's existing subscription (in the store
 * and in the topic). Returns the resulting access when it changed (or `force`), else null.
 * Throws permission denied when the user may not join.
 */
export async function updateOwnSubscription(
  t: Topic,
  req: Request<SubMsg | SetMsg>,
  want: number,
  priv: unknown,
  force = false,
): Promise<{ acs: AccessModeMsg | null; oldWant: number; oldGiven: number; oldMode: number }> {
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
    await t.env.store.subs.update(t.name, req.asUser, update);
  }
  const changed = oldWant !== pud.modeWant || oldGiven !== pud.modeGiven;
  if ((pud.modeGiven & MODE_JOIN) === 0) {
    throw new ProtocolError('permissionDenied');
  }
  const acs = changed || force ? { want: modeToString(pud.modeWant), given: modeToString(pud.modeGiven), mode: modeToString(pud.modeWant & pud.modeGiven) } : null;
  return { acs, oldWant, oldGiven, oldMode: oldWant & oldGiven };
}

/** A mode change for presence: what was added and removed (`+W-P`), or the new mode when there was none. */
function modeChange(before: number, after: number): string {
  return before !== MODE_UNSET && before !== MODE_NONE ? modeDelta(before, after) : modeToString(after);
}

/**
 * `{set sub}` on `me` or `fnd` (the reference's `thisUserSub`): the user changes the mode wanted
 * on the own subscription; 200 with the resulting `acs`, or 304 when nothing changed. Another
 * user's subscription is not there to change: 403 (the reference would create one). The user's
 * other sessions attached here hear `{pres what:"acs"}`. Returns the mode (want & given) before
 * and after, for the kind to announce presence turned off or on.
 */
export async function replySetOwnSub(t: Topic, req: Request<SetMsg>): Promise<{ before: number; after: number }> {
  const sub = req.msg.body.sub ?? {};
  if (sub.user) {
    const target = parseUserId(sub.user);
    if (target === 0n) {
      throw new ProtocolError('malformed');
    }
    if (target !== req.asUser) {
      throw new ProtocolError('permissionDenied');
    }
  }
  const { acs, oldWant, oldGiven, oldMode } = await updateOwnSubscription(t, req, wantedMode(sub.mode), undefined);
  const now = new Date();
  if (!acs) {
    req.sess.send(reply('notModified', req.msg.id, req.original, now));
    return { before: oldMode, after: oldMode };
  }
  const pud = t.perUser.get(req.asUser)!;
  const dacs = { want: modeChange(oldWant, pud.modeWant), given: modeChange(oldGiven, pud.modeGiven) };
  t.broadcast({ pres: { topic: t.original(req.asUser), what: 'acs', dacs } }, { singleUser: userId(req.asUser), skipSid: req.sess.sid });
  req.sess.send(reply('ok', req.msg.id, req.original, now, { acs }));
  return { before: oldMode, after: pud.modeWant & pud.modeGiven };
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
