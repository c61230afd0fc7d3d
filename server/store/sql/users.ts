import type { Uid } from '../../../src/model/uid.js';
import { chnToGrp, grpToChn, isChannel } from '../../../src/model/uid.js';
import { ObjState, type User, type UserUpdate } from '../contract/types.js';
import { accessToDb, idFromDb, tagsToDb, userFromRow, userToRow } from './codec.js';
import { inTx, rawRows, sqlId, type Ctx } from './context.js';
import { decodeInt, encodeJson, encodeTime } from './dialect.js';
import { deleteDevices } from './devices.js';
import { hot, hotRows } from './hot.js';
import { addTags, replaceTags, USER_TAGS } from './tags.js';

/** Users: create, read, update, delete, and the queries over users. */

export async function userCreate(ctx: Ctx, user: User): Promise<void> {
  await inTx(ctx, async (tx) => {
    await tx.db('users').insert(userToRow(tx, user));
    await addTags(tx, USER_TAGS, sqlId(tx, user.id), user.tags, false);
  });
}

const USER_BY_ID = hot('SELECT * FROM users WHERE id=? AND state<>? LIMIT 1');

export async function userGet(ctx: Ctx, uid: Uid): Promise<User | null> {
  const [row] = await hotRows(ctx, USER_BY_ID, [sqlId(ctx, uid), ObjState.DELETED]);
  return row ? userFromRow(ctx, row) : null;
}

export async function userGetAll(ctx: Ctx, uids: Uid[]): Promise<User[]> {
  const ids = uids.filter((u) => u !== 0n).map((u) => sqlId(ctx, u));
  if (ids.length === 0) {
    return [];
  }
  const rows = (await ctx.db('users').whereIn('id', ids).whereNot('state', ObjState.DELETED)) as Record<string, unknown>[];
  return rows.map((r) => userFromRow(ctx, r));
}

/** Column values for a partial user update. */
function userUpdateRow(u: UserUpdate): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (u.updatedAt !== undefined) row.updatedat = encodeTime(u.updatedAt);
  if (u.state !== undefined) row.state = u.state;
  if (u.stateAt !== undefined) row.stateat = u.stateAt ? encodeTime(u.stateAt) : null;
  if (u.access !== undefined) row.access = accessToDb(u.access);
  if (u.lastSeen !== undefined) row.lastseen = u.lastSeen ? encodeTime(u.lastSeen) : null;
  if (u.userAgent !== undefined) row.useragent = u.userAgent;
  if (u.public !== undefined) row.public = encodeJson(u.public);
  if (u.trusted !== undefined) row.trusted = encodeJson(u.trusted);
  if (u.tags !== undefined) row.tags = tagsToDb(u.tags);
  return row;
}

/** Names of the p2p topics the user takes part in (selected first: MySQL cannot update a table it reads). */
async function p2pTopicsOf(ctx: Ctx, uid: Uid): Promise<string[]> {
  const rows = (await ctx.db('subscriptions').select('topic').where('userid', sqlId(ctx, uid)).where('topic', 'like', 'p2p%')) as {
    topic: string;
  }[];
  return rows.map((r) => r.topic.trim());
}

export async function userUpdate(ctx: Ctx, uid: Uid, update: UserUpdate): Promise<void> {
  await inTx(ctx, async (tx) => {
    const id = sqlId(tx, uid);
    const row = userUpdateRow(update);
    if (Object.keys(row).length > 0) {
      await tx.db('users').where('id', id).update(row);
    }
    if (update.state !== undefined) {
      // Owned and p2p topics follow the user's state; deleted topics stay deleted.
      const at = encodeTime(update.stateAt ?? new Date());
      const change = { state: update.state, stateat: at };
      await tx.db('topics').where('owner', id).whereNot('state', ObjState.DELETED).update(change);
      const p2p = await p2pTopicsOf(tx, uid);
      if (p2p.length > 0) {
        await tx.db('topics').where('owner', 0).whereIn('name', p2p).whereNot('state', ObjState.DELETED).update(change);
      }
    }
    if (update.tags !== undefined) {
      await replaceTags(tx, USER_TAGS, id, update.tags);
    }
  });
}

export async function userUpdateTags(ctx: Ctx, uid: Uid, add: string[], remove: string[], reset: string[] | null): Promise<string[]> {
  return inTx(ctx, async (tx) => {
    const id = sqlId(tx, uid);
    if (reset !== null) {
      await tx.db('usertags').where('userid', id).del();
      await addTags(tx, USER_TAGS, id, reset, false);
    } else {
      await addTags(tx, USER_TAGS, id, add, true);
      if (remove.length > 0) {
        await tx.db('usertags').where('userid', id).whereIn('tag', remove).del();
      }
    }
    const rows = (await tx.db('usertags').select('tag').where('userid', id).orderBy('id')) as { tag: string }[];
    const tags = rows.map((r) => r.tag);
    await tx.db('users').where('id', id).update({ tags: tagsToDb(tags) });
    return tags;
  });
}

export async function userGetByCred(ctx: Ctx, method: string, value: string): Promise<Uid> {
  const row = (await ctx.db('credentials').select('userid').where('synthetic', `${method}:${value}`).first()) as
    | { userid: unknown }
    | undefined;
  return row ? idFromDb(ctx, row.userid) : 0n;
}

export async function userUnreadCount(ctx: Ctx, uids: Uid[]): Promise<Map<Uid, number>> {
  const counts = new Map<Uid, number>(uids.map((u) => [u, 0]));
  if (uids.length === 0) {
    return counts;
  }
  const ids = uids.map((u) => sqlId(ctx, u));
  const rows = await rawRows(
    ctx,
    `SELECT s.userid, SUM(t.seqid)-SUM(s.readseqid) AS unread FROM topics AS t, subscriptions AS s
      WHERE s.userid IN (${ids.map(() => '?').join(',')}) AND t.name=s.topic AND s.deletedat IS NULL
      AND t.state<>? AND s.modewant LIKE '%R%' AND s.modegiven LIKE '%R%' GROUP BY s.userid`,
    [...ids, ObjState.DELETED],
  );
  for (const r of rows) {
    counts.set(idFromDb(ctx, r.userid), decodeInt(r.unread));
  }
  return counts;
}

export async function uidKeyProbe(ctx: Ctx): Promise<{ uid: Uid; meTopic: string } | null> {
  const row = (await ctx.db('subscriptions').select('userid', 'topic').where('topic', 'like', 'usr%').first()) as
    | { userid: unknown; topic: string }
    | undefined;
  return row ? { uid: idFromDb(ctx, row.userid), meTopic: row.topic.trim() } : null;
}

export async function userGetUnvalidated(ctx: Ctx, lastUpdatedBefore: Date, limit: number): Promise<Uid[]> {
  const rows = await rawRows(
    ctx,
    `SELECT u.id, u.updatedat FROM users AS u LEFT JOIN credentials AS c ON u.id=c.userid
      WHERE u.lastseen IS NULL AND u.updatedat<? GROUP BY u.id, u.updatedat
      HAVING SUM(CASE WHEN c.done IS NULL THEN 0 WHEN c.done=${ctx.d.name === 'postgres' ? 'TRUE' : '1'} THEN 1 ELSE 0 END)=0
      ORDER BY u.updatedat ASC LIMIT ?`,
    [encodeTime(lastUpdatedBefore), limit],
  );
  return rows.map((r) => idFromDb(ctx, r.id));
}

/** Marks (soft) or removes (hard) all of a user's subscriptions, keeping subscriber counts right. */
export async function subsDelForUser(ctx: Ctx, uid: Uid, hard: boolean): Promise<void> {
  const id = sqlId(ctx, uid);
  const rows = (await ctx.db('subscriptions').select('topic').where('userid', id).whereNull('deletedat')) as { topic: string }[];
  const groups = [...new Set(rows.map((r) => r.topic.trim()).map((t) => (isChannel(t) ? chnToGrp(t) : t)))];
  if (groups.length > 0) {
    await ctx.db('topics').whereIn('name', groups).decrement('subcnt', 1);
  }
  if (hard) {
    await ctx.db('subscriptions').where('userid', id).del();
  } else {
    const now = encodeTime(new Date());
    await ctx.db('subscriptions').where('userid', id).whereNull('deletedat').update({ updatedat: now, deletedat: now });
  }
}

async function ownTopicNames(ctx: Ctx, uid: Uid, includeDeleted: boolean): Promise<string[]> {
  const q = ctx.db('topics').select('name').where('owner', sqlId(ctx, uid));
  if (!includeDeleted) {
    q.whereNot('state', ObjState.DELETED);
  }
  const rows = (await q) as { name: string }[];
  return rows.map((r) => r.name.trim());
}

async function hardDeleteUser(tx: Ctx, uid: Uid, owned: string[]): Promise<void> {
  const id = sqlId(tx, uid);
  await deleteDevices(tx, uid, '');
  await subsDelForUser(tx, uid, true);
  await tx.db('dellog').where('deletedfor', id).del();
  if (owned.length > 0) {
    const withChannels = [...owned, ...owned.map(grpToChn).filter((n) => n !== '')];
    await tx.db('dellog').whereIn('topic', owned).del();
    await tx.db('messages').whereIn('topic', owned).del();
    await tx.db('subscriptions').whereIn('topic', withChannels).del();
    await tx.db('topictags').whereIn('topic', owned).del();
    await tx.db('topics').whereIn('name', owned).del();
  }
  await tx.db('auth').where('userid', id).del();
  await tx.db('credentials').where('userid', id).del();
  await tx.db('usertags').where('userid', id).del();
  await tx.db('users').where('id', id).del();
}

async function softDeleteUser(tx: Ctx, uid: Uid, owned: string[]): Promise<void> {
  const id = sqlId(tx, uid);
  const now = encodeTime(new Date());
  const p2p = await p2pTopicsOf(tx, uid);
  await subsDelForUser(tx, uid, false);
  if (owned.length > 0) {
    const withChannels = [...owned, ...owned.map(grpToChn).filter((n) => n !== '')];
    await tx.db('subscriptions').whereIn('topic', withChannels).update({ updatedat: now, deletedat: now });
  }
  await tx.db('topics').where('owner', id).update({ updatedat: now, touchedat: now, state: ObjState.DELETED, stateat: now });
  if (p2p.length > 0) {
    await tx.db('topics').where('owner', 0).whereIn('name', p2p).update({ updatedat: now, touchedat: now, state: ObjState.DELETED, stateat: now });
    await tx.db('subscriptions').whereIn('topic', p2p).update({ updatedat: now, deletedat: now });
  }
  await tx.db('users').where('id', id).update({ updatedat: now, state: ObjState.DELETED, stateat: now });
}

export async function userDelete(ctx: Ctx, uid: Uid, hard: boolean): Promise<void> {
  await inTx(ctx, async (tx) => {
    const owned = await ownTopicNames(tx, uid, hard);
    await (hard ? hardDeleteUser(tx, uid, owned) : softDeleteUser(tx, uid, owned));
  });
}
