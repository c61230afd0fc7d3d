import { MODE_APPROVE, MODE_CAUTH, MODE_SHARE, MODE_NONE, MODE_OWNER, MODE_PRES, MODE_READ, modeToString, parseMode, MODE_UNSET, type DefaultAccess } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import type { GetMsg, GetOpts, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { TopicDescMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import { mergeValue } from '../../src/model/merge.js';
import type { Topic } from './topic.js';

/** `{get what="desc"}`: the description as this user may see it. */
export function replyGetDesc(t: Topic, req: Request<GetMsg | SubMsg>, opts: GetOpts | undefined): void {
  const now = new Date();
  if (opts && (opts.user || opts.limit)) {
    throw new ProtocolError('malformed');
  }
  const ims = opts?.ims;
  const ifUpdated = !ims || ims < t.updated;
  const desc: TopicDescMsg = {};
  if (!ims) {
    desc.created = t.created;
  }
  if (t.updated.getTime() > 0) {
    desc.updated = t.updated;
  }
  const pud = t.perUser.get(req.asUser);
  const full = pud !== undefined || t.cat === 'me';
  if (t.cat === 'grp') {
    desc.chan = t.isChannel();
    desc.subcnt = t.subCnt;
  }
  if (ifUpdated) {
    if (t.public !== null || t.trusted !== null) {
      desc.public = t.public ?? undefined;
      desc.trusted = t.trusted ?? undefined;
    } else if (full && t.cat === 'p2p') {
      desc.public = pud?.public ?? undefined;
      desc.trusted = pud?.trusted ?? undefined;
    }
  }
  if (full) {
    const want = pud?.modeWant ?? MODE_NONE;
    const given = pud?.modeGiven ?? MODE_NONE;
    const mode = want & given;
    if (t.cat !== 'p2p' && (t.cat === 'me' || (mode & (MODE_OWNER | MODE_APPROVE | MODE_SHARE)) !== 0)) {
      desc.defacs = { auth: modeToString(t.access.auth), anon: modeToString(t.access.anon) };
    }
    desc.acs = { want: modeToString(want), given: modeToString(given), mode: modeToString(mode) };
    if (t.cat === 'me' && req.sess.authLvl === AuthLevel.ROOT) {
      desc.state = 'ok';
    }
    if (mode & MODE_PRES) {
      if (t.cat === 'grp') {
        desc.online = t.isOnline();
      } else if (t.cat === 'p2p' && pud?.lastSeen) {
        desc.seen = { when: pud.lastSeen.when, ua: pud.lastSeen.ua };
      }
    }
    if (ifUpdated) {
      desc.private = pud?.private ?? undefined;
    }
    if (mode & MODE_READ) {
      desc.seq = t.lastId;
      if (t.touched.getTime() > 0) {
        desc.touched = t.touched;
      }
      desc.clear = Math.max(pud?.delId ?? 0, t.delId);
      desc.read = pud?.readId ?? 0;
      desc.recv = Math.max(pud?.recvId ?? 0, pud?.readId ?? 0);
    } else {
      desc.touched = t.updated;
    }
  }
  req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, desc } });
}

/**
 * The new default access from a `defacs` update, or null when unchanged. `O` is never a default;
 * on `me` the modes are clipped to what p2p allows and gain `A` (the reference's rules).
 */
export function defaultAccessUpdate(t: Topic, defacs: { auth?: string; anon?: string } | undefined, p2pMode: number): DefaultAccess | null {
  if (!defacs) {
    return null;
  }
  const parse = (text: string | undefined) => {
    if (!text) return MODE_UNSET;
    const m = parseMode(text);
    if (m === null) throw new ProtocolError('malformed');
    return m;
  };
  let auth = parse(defacs.auth);
  let anon = parse(defacs.anon);
  if ((auth !== MODE_UNSET && auth & MODE_OWNER) || (anon !== MODE_UNSET && anon & MODE_OWNER)) {
    throw new ProtocolError('malformed');
  }
  const access = { ...t.access };
  if (auth !== MODE_UNSET) {
    if (t.cat === 'me') {
      auth &= MODE_CAUTH;
      if (auth !== MODE_NONE) auth |= MODE_APPROVE;
    }
    access.auth = auth;
  }
  if (anon !== MODE_UNSET) {
    if (t.cat === 'me') {
      anon &= p2pMode;
      if (anon !== MODE_NONE) anon |= MODE_APPROVE;
    }
    access.anon = anon;
  }
  return access.auth !== t.access.auth || access.anon !== t.access.anon ? access : null;
}

/** The merged private value of a `{set desc}` for the user, and whether it changed. */
export function privateUpdate(t: Topic, req: Request<SetMsg | SubMsg>, priv: unknown): { value: unknown; changed: boolean } {
  return mergeValue(t.perUser.get(req.asUser)?.private ?? null, priv);
}
