import { modeToString, MODE_OWNER } from '../../../src/model/access.js';
import type { Uid } from '../../../src/model/uid.js';
import { chnToGrp, isChannel, userId } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import type { QueryOpt, Subscription, SubscriptionUpdate } from '../contract/types.js';
import { subFromRow } from './codec.js';
import { affected, inTx, sqlId, type Ctx } from './context.js';
import { encodeJson, encodeTime } from './dialect.js';
import { hot, hotFamily, hotRows } from './hot.js';

/** Subscriptions: one row per user and topic; a deleted one keeps its row with `deletedat` set. */

export const SUB_COLUMNS = [
  'createdat',
  'updatedat',
  'deletedat',
  'userid',
  'topic',
  'delid',
  'recvseqid',
  'readseqid',
  'modewant',
  'modegiven',
  'private',
];

/**
 * Inserts a subscription or, when the user had one, resets it (undeleted, counters cleared, new
 * modes). `keepPrivate` keeps the existing private value. An owner subscription sets the owner.
 * Returns whether the subscription is new: there was none, or it was deleted.
 */
export async function createSubscription(ctx: Ctx, sub: Subscription, keepPrivate: boolean): Promise<boolean> {
  const userId = sqlId(ctx, sub.user);
  const prev = (await ctx.db('subscriptions').select('deletedat').where({ topic: sub.topic, userid: userId }).first()) as { deletedat: unknown } | undefined;
  const reset = {
    createdat: encodeTime(sub.createdAt),
    updatedat: encodeTime(sub.updatedAt),
    deletedat: null,
    modewant: modeToString(sub.modeWant),
    modegiven: modeToString(sub.modeGiven),
    delid: 0,
    recvseqid: 0,
    readseqid: 0,
  };
  const priv = encodeJson(sub.private);
  const merge: Record<string, unknown> = keepPrivate ? reset : { ...reset, private: priv };
  await ctx
    .db('subscriptions')
    .insert({ ...reset, userid: userId, topic: sub.topic, private: priv })
    .onConflict(['topic', 'userid'])
    .merge(merge);
  if ((sub.modeWant & sub.modeGiven & MODE_OWNER) !== 0) {
    await ctx.db('topics').where('name', sub.topic).update({ owner: userId });
  }
  return prev === undefined || prev.deletedat !== null;
}

const SUB_GET = hotFamily(
  (_d, keepDeleted: boolean) =>
    `SELECT ${SUB_COLUMNS.join(',')} FROM subscriptions WHERE topic=? AND userid=?${keepDeleted ? '' : ' AND deletedat IS NULL'} LIMIT 1`,
);

export async function subscriptionGet(ctx: Ctx, topic: string, user: Uid, keepDeleted: boolean): Promise<Subscription | null> {
  const [row] = await hotRows(ctx, SUB_GET(keepDeleted), [topic, sqlId(ctx, user)]);
  return row ? subFromRow(ctx, row) : null;
}

/** Private values are left out but for the user's own `usr` subscription (what `me` loads). */
const SUBS_OF_USER = hot(
  `SELECT ${SUB_COLUMNS.filter((c) => c !== 'private').join(',')},CASE WHEN topic=? THEN private END AS private
    FROM subscriptions WHERE userid=? AND deletedat IS NULL`,
);

export async function subsForUser(ctx: Ctx, uid: Uid): Promise<Subscription[]> {
  const rows = await hotRows(ctx, SUBS_OF_USER, [userId(uid), sqlId(ctx, uid)]);
  return rows.map((r) => subFromRow(ctx, r));
}

const SUBS_OF_TOPIC = hotFamily(
  (_d, keepDeleted: boolean, byUser: boolean, limited: boolean) =>
    `SELECT ${SUB_COLUMNS.join(',')} FROM subscriptions WHERE topic=?` +
    (keepDeleted ? '' : ' AND deletedat IS NULL') +
    (byUser ? ' AND userid=?' : '') +
    ' ORDER BY id' +
    (limited ? ' LIMIT ?' : ''),
);

export async function subsForTopic(ctx: Ctx, topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
  const args: unknown[] = [topic];
  if (opts?.user) {
    args.push(sqlId(ctx, opts.user));
  }
  let limit = ctx.maxResults;
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  const limited = !opts?.all;
  if (limited) {
    args.push(limit);
  }
  const rows = await hotRows(ctx, SUBS_OF_TOPIC(keepDeleted, !!opts?.user, limited), args);
  return rows.map((r) => subFromRow(ctx, r));
}

/** Column values of a partial subscription update. */
export function subUpdateRow(u: SubscriptionUpdate): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (u.updatedAt !== undefined) row.updatedat = encodeTime(u.updatedAt);
  if (u.deletedAt !== undefined) row.deletedat = u.deletedAt ? encodeTime(u.deletedAt) : null;
  if (u.delId !== undefined) row.delid = u.delId;
  if (u.recvSeqId !== undefined) row.recvseqid = u.recvSeqId;
  if (u.readSeqId !== undefined) row.readseqid = u.readSeqId;
  if (u.modeWant !== undefined) row.modewant = modeToString(u.modeWant);
  if (u.modeGiven !== undefined) row.modegiven = modeToString(u.modeGiven);
  if (u.private !== undefined) row.private = encodeJson(u.private);
  return row;
}

export async function subsUpdate(ctx: Ctx, topic: string, user: Uid, update: SubscriptionUpdate): Promise<void> {
  const row = subUpdateRow(update);
  if (Object.keys(row).length === 0) {
    return;
  }
  const q = ctx.db('subscriptions').where('topic', topic);
  if (user !== 0n) {
    q.where('userid', sqlId(ctx, user));
  }
  await q.update(row);
}

export async function subsDelete(ctx: Ctx, topic: string, user: Uid): Promise<void> {
  await inTx(ctx, async (tx) => {
    const id = sqlId(tx, user);
    const now = encodeTime(new Date());
    const n = await tx.db('subscriptions').where({ topic, userid: id }).whereNull('deletedat').update({ updatedat: now, deletedat: now });
    if (affected(n) === 0) {
      throw new StoreError('not-found', 'subscription not found');
    }
    if (!isChannel(topic)) {
      await tx.db('dellog').where({ topic, deletedfor: id }).del();
    }
    if (topic.startsWith('grp') || topic.startsWith('chn')) {
      await tx.db('topics').where('name', chnToGrp(topic)).decrement('subcnt', 1);
    }
  });
}
