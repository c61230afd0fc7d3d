import { modeToString, MODE_OWNER } from '../../../src/model/access.js';
import type { Uid } from '../../../src/model/uid.js';
import { chnToGrp, isChannel } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import type { QueryOpt, Subscription, SubscriptionUpdate } from '../contract/types.js';
import { subFromRow } from './codec.js';
import { affected, inTx, sqlId, type Ctx } from './context.js';
import { encodeJson, encodeTime } from './dialect.js';

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

export async function subscriptionGet(ctx: Ctx, topic: string, user: Uid, keepDeleted: boolean): Promise<Subscription | null> {
  const q = ctx.db('subscriptions').select(SUB_COLUMNS).where({ topic, userid: sqlId(ctx, user) });
  if (!keepDeleted) {
    q.whereNull('deletedat');
  }
  const row = await q.first();
  return row ? subFromRow(ctx, row as Record<string, unknown>) : null;
}

export async function subsForUser(ctx: Ctx, uid: Uid): Promise<Subscription[]> {
  const rows = (await ctx
    .db('subscriptions')
    .select(SUB_COLUMNS.filter((c) => c !== 'private'))
    .where('userid', sqlId(ctx, uid))
    .whereNull('deletedat')) as Record<string, unknown>[];
  return rows.map((r) => subFromRow(ctx, r));
}

export async function subsForTopic(ctx: Ctx, topic: string, keepDeleted: boolean, opts?: QueryOpt): Promise<Subscription[]> {
  const q = ctx.db('subscriptions').select(SUB_COLUMNS).where('topic', topic);
  if (!keepDeleted) {
    q.whereNull('deletedat');
  }
  let limit = ctx.maxResults;
  if (opts?.user) {
    q.where('userid', sqlId(ctx, opts.user));
  }
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  q.orderBy('id');
  if (!opts?.all) q.limit(limit);
  const rows = (await q) as Record<string, unknown>[];
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
