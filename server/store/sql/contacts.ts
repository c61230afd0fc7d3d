import type { Uid } from '../../../src/model/uid.js';
import { chnToGrp, p2pName, parseP2P, userId } from '../../../src/model/uid.js';
import { ObjState, toObjState, type QueryOpt, type Subscription } from '../contract/types.js';
import { accessFromDb, idFromDb, subFromRow } from './codec.js';
import { rawRows, sqlId, type Ctx } from './context.js';
import { decodeInt, decodeJson, decodeTime, decodeTimeRequired, encodeTime } from './dialect.js';
import { hotFamily, hotRows } from './hot.js';
import { SUB_COLUMNS } from './subs.js';
import { isGroupName } from './topics.js';

/**
 * The two join queries behind contact lists: a user's subscriptions with their topics (or p2p
 * peers), and a topic's subscribers with their user records.
 */

function later(a: Date, b: Date | undefined): Date {
  return b && b > a ? b : a;
}

/** The later of the subscription's update and its topic's last message: what `ims` compares to. */
export function lastModified(s: Subscription): Date {
  return later(s.updatedAt, s.extra?.touchedAt);
}

/** Keeps subscriptions changed after `ims` and at most `limit` of them, least recently changed first. */
function selectEarliestUpdated(subs: Subscription[], opts: QueryOpt | undefined, maxResults: number): Subscription[] {
  let limit = maxResults;
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  const ims = opts?.ifModifiedSince;
  if (!ims && subs.length <= limit) {
    return subs;
  }
  let out = [...subs].sort((a, b) => lastModified(a).getTime() - lastModified(b).getTime());
  if (ims) {
    out = out.filter((s) => lastModified(s) > ims);
  }
  return out.slice(0, limit);
}

const SUBS_OF_USER = hotFamily(
  (_d, keepDeleted: boolean, byTopic: boolean, limited: boolean) =>
    `SELECT ${SUB_COLUMNS.join(',')} FROM subscriptions WHERE userid=?` +
    (keepDeleted ? '' : ' AND deletedat IS NULL') +
    (byTopic ? ' AND topic=?' : '') +
    ' ORDER BY id' +
    (limited ? ' LIMIT ?' : ''),
);

export async function topicsForUser(ctx: Ctx, uid: Uid, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
  const args: unknown[] = [sqlId(ctx, uid)];
  if (opts?.topic) {
    args.push(opts.topic);
  }
  // Without a cache timestamp the limit applies to the subscriptions themselves.
  const limited = !opts?.ifModifiedSince;
  if (limited) {
    args.push(opts?.limit && opts.limit > 0 && opts.limit < ctx.maxResults ? opts.limit : ctx.maxResults);
  }
  const rows = await hotRows(ctx, SUBS_OF_USER(keepDeleted, !!opts?.topic, limited), args);

  const join = new Map<string, Subscription>();
  const topicNames: string[] = [];
  const peers: string[] = [];
  for (const r of rows) {
    const sub = subFromRow(ctx, r);
    let name = sub.topic;
    if (name.startsWith('usr') || name.startsWith('fnd')) {
      continue;
    }
    sub.extra = {};
    if (name.startsWith('p2p')) {
      const pair = parseP2P(name);
      if (!pair) {
        continue;
      }
      const peer = pair[0] === uid ? pair[1] : pair[0];
      peers.push(sqlId(ctx, peer));
      sub.extra.with = userId(peer);
    } else if (name.startsWith('grp') || name.startsWith('chn')) {
      name = chnToGrp(name);
    }
    topicNames.push(name);
    join.set(name, sub);
  }
  if (join.size === 0) {
    return [];
  }

  // Subscriptions whose topic (or p2p peer) is gone or deleted are left out.
  const missing = new Set(join.keys());
  if (topicNames.length > 0) {
    const tq = ctx
      .db('topics')
      .select('updatedat', 'state', 'touchedat', 'name', 'usebt', 'access', 'seqid', 'delid', 'subcnt', 'public', 'trusted')
      .whereIn('name', topicNames);
    if (!keepDeleted) {
      tq.whereNot('state', ObjState.DELETED);
    }
    if (opts?.ifModifiedSince) {
      tq.where('touchedat', '>', encodeTime(opts.ifModifiedSince));
    }
    for (const t of (await tq) as Record<string, unknown>[]) {
      const sub = join.get(String(t.name).trim());
      if (!sub?.extra) {
        continue;
      }
      if (!sub.topic.startsWith('p2p')) missing.delete(String(t.name).trim());
      sub.updatedAt = later(sub.updatedAt, decodeTimeRequired(t.updatedat));
      sub.extra.state = toObjState(decodeInt(t.state));
      sub.extra.touchedAt = decodeTime(t.touchedat) ?? undefined;
      sub.extra.seqId = decodeInt(t.seqid);
      if (isGroupName(sub.topic)) {
        // As the reference: member count and public of groups only (not of sys or slf).
        sub.extra.subCnt = decodeInt(t.subcnt);
        sub.extra.public = decodeJson(t.public);
        sub.extra.trusted = decodeJson(t.trusted);
      }
    }
  }

  if (peers.length > 0) {
    const uq = ctx
      .db('users')
      .select('id', 'updatedat', 'state', 'access', 'lastseen', 'useragent', 'public', 'trusted')
      .whereIn('id', peers);
    if (!keepDeleted) {
      uq.whereNot('state', ObjState.DELETED);
    }
    for (const u of (await uq) as Record<string, unknown>[]) {
      const name = p2pName(uid, idFromDb(ctx, u.id));
      const sub = join.get(name);
      if (!sub?.extra) {
        continue;
      }
      missing.delete(name);
      sub.updatedAt = later(sub.updatedAt, decodeTimeRequired(u.updatedat));
      sub.extra.state = toObjState(decodeInt(u.state));
      sub.extra.public = decodeJson(u.public);
      sub.extra.trusted = decodeJson(u.trusted);
      sub.extra.defaultAccess = accessFromDb(u.access);
      const seen = decodeTime(u.lastseen);
      sub.extra.lastSeen = seen ? { when: seen, userAgent: String(u.useragent ?? '') } : null;
    }
  }
  for (const name of missing) {
    // With a cache time, topics not touched since are not read but still exist.
    if (name.startsWith('p2p') || !opts?.ifModifiedSince) join.delete(name);
  }
  return selectEarliestUpdated([...join.values()], opts, ctx.maxResults);
}

export async function usersForTopic(ctx: Ctx, topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
  const isP2P = topic.startsWith('p2p');
  const cols = SUB_COLUMNS.map((c) => `s.${c}`).join(',');
  let sql = `SELECT ${cols},u.public AS upublic,u.trusted AS utrusted,u.lastseen AS ulastseen,u.useragent AS uuseragent
    FROM subscriptions AS s JOIN users AS u ON s.userid=u.id WHERE s.topic=?`;
  const args: (string | number)[] = [topic];
  if (!keepDeleted) {
    sql += ' AND u.state<>?';
    args.push(ObjState.DELETED);
    // p2p: both subscriptions are needed to swap the public values, deleted or not.
    if (!isP2P) {
      sql += ' AND s.deletedat IS NULL';
    }
  }
  let limit = ctx.maxResults;
  if (opts?.user && !isP2P) {
    sql += ' AND s.userid=?';
    args.push(sqlId(ctx, opts.user));
  }
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  sql += ' ORDER BY s.id LIMIT ?';
  args.push(limit);
  const rows = await rawRows(ctx, sql, args);
  let subs = rows.map((r) => {
    const sub = subFromRow(ctx, r);
    const seen = decodeTime(r.ulastseen);
    sub.extra = {
      public: decodeJson(r.upublic),
      trusted: decodeJson(r.utrusted),
      lastSeen: seen ? { when: seen, userAgent: String(r.uuseragent ?? '') } : null,
    };
    return sub;
  });
  if (isP2P && subs.length > 0) {
    if (subs.length === 1) {
      // The other user is gone: nothing to show in their place.
      subs[0]!.extra = { public: null, trusted: null, lastSeen: null };
    } else {
      const [a, b] = subs as [Subscription, Subscription];
      [a.extra, b.extra] = [b.extra, a.extra];
    }
    subs = subs.filter((s) => (keepDeleted || s.deletedAt === null) && (!opts?.user || s.user === opts.user));
  }
  return subs;
}
