import { MODE_PRES } from '../../../src/model/access.js';
import type { Uid } from '../../../src/model/uid.js';
import { chnToGrp, grpToChn, isChannel } from '../../../src/model/uid.js';
import { ObjState, type Subscription, type Topic, type TopicUpdate } from '../contract/types.js';
import { accessToDb, modeFromDb, tagsToDb, topicFromRow } from './codec.js';
import { inTx, sqlId, type Ctx } from './context.js';
import { encodeJson, encodeTime } from './dialect.js';
import { hot, hotRows } from './hot.js';
import { deleteAllMessages } from './messages.js';
import { createSubscription } from './subs.js';
import { addTags, replaceTags, TOPIC_TAGS } from './tags.js';

/** Topics: rows of the `topics` table and the operations that keep them consistent. */

const TOPIC_COLUMNS = [
  'createdat',
  'updatedat',
  'state',
  'stateat',
  'touchedat',
  'name',
  'usebt',
  'access',
  'owner',
  'seqid',
  'delid',
  'subcnt',
  'public',
  'trusted',
  'tags',
  'aux',
];

async function insertTopic(ctx: Ctx, t: Topic): Promise<void> {
  await ctx.db('topics').insert({
    createdat: encodeTime(t.createdAt),
    updatedat: encodeTime(t.updatedAt),
    touchedat: encodeTime(t.touchedAt),
    state: t.state,
    stateat: t.stateAt ? encodeTime(t.stateAt) : null,
    name: t.name,
    usebt: ctx.d.bool(t.useBt),
    owner: sqlId(ctx, t.owner),
    access: accessToDb(t.access),
    seqid: t.seqId,
    delid: t.delId,
    subcnt: t.subCnt,
    public: encodeJson(t.public),
    trusted: encodeJson(t.trusted),
    tags: tagsToDb(t.tags),
    aux: encodeJson(t.aux),
  });
  await addTags(ctx, TOPIC_TAGS, t.name, t.tags, false);
}

export async function topicCreate(ctx: Ctx, topic: Topic): Promise<void> {
  await inTx(ctx, (tx) => insertTopic(tx, topic));
}

export async function topicCreateP2P(ctx: Ctx, initiator: Subscription, invited: Subscription): Promise<void> {
  await inTx(ctx, async (tx) => {
    await createSubscription(tx, initiator, false);
    await createSubscription(tx, invited, true);
    const createdAt = initiator.createdAt < invited.createdAt ? initiator.createdAt : invited.createdAt;
    const updatedAt = initiator.updatedAt > invited.updatedAt ? initiator.updatedAt : invited.updatedAt;
    await insertTopic(tx, {
      name: initiator.topic,
      createdAt,
      updatedAt,
      touchedAt: initiator.extra?.touchedAt ?? createdAt,
      state: ObjState.OK,
      stateAt: null,
      useBt: false,
      owner: 0n,
      access: { auth: 0, anon: 0 },
      seqId: 0,
      delId: 0,
      subCnt: 0,
      public: null,
      trusted: null,
      tags: [],
      aux: null,
    });
  });
}

const TOPIC_BY_NAME = hot(`SELECT ${TOPIC_COLUMNS.join(',')} FROM topics WHERE name=? LIMIT 1`);
const COUNT_MEMBERS = hot('SELECT COUNT(*) AS n FROM subscriptions WHERE topic IN (?,?) AND deletedat IS NULL');

export async function topicGet(ctx: Ctx, name: string): Promise<Topic | null> {
  const [row] = await hotRows(ctx, TOPIC_BY_NAME, [name]);
  if (!row) {
    return null;
  }
  const topic = topicFromRow(ctx, row);
  if (name.startsWith('grp')) {
    // The denormalized count can drift (e.g. after a crash of an older server): recount.
    const [cnt] = await hotRows(ctx, COUNT_MEMBERS, [name, grpToChn(name)]);
    const n = Number(cnt?.n ?? 0);
    if (n !== topic.subCnt) {
      topic.subCnt = n;
      await ctx.db('topics').where('name', name).update({ subcnt: n });
    }
  }
  return topic;
}

export async function ownTopics(ctx: Ctx, uid: Uid): Promise<string[]> {
  const rows = (await ctx.db('topics').select('name').where('owner', sqlId(ctx, uid)).whereNot('state', ObjState.DELETED)) as {
    name: string;
  }[];
  return rows.map((r) => r.name.trim());
}

export async function channelsForUser(ctx: Ctx, uid: Uid): Promise<string[]> {
  const rows = (await ctx
    .db('subscriptions')
    .select('topic', 'modewant', 'modegiven')
    .where('userid', sqlId(ctx, uid))
    .where('topic', 'like', 'chn%')
    .whereNull('deletedat')) as { topic: string; modewant: unknown; modegiven: unknown }[];
  return rows
    .filter((r) => (modeFromDb(r.modewant) & modeFromDb(r.modegiven) & MODE_PRES) !== 0)
    .map((r) => r.topic.trim());
}

export async function topicShare(ctx: Ctx, topic: string, subs: Subscription[]): Promise<void> {
  await inTx(ctx, async (tx) => {
    let added = 0;
    for (const sub of subs) {
      if (await createSubscription(tx, sub, true)) added++;
    }
    if (topic !== '' && added > 0) {
      await tx.db('topics').where('name', chnToGrp(topic) || topic).increment('subcnt', added);
    }
  });
}

export async function topicDelete(ctx: Ctx, topic: string, isChan: boolean, hard: boolean): Promise<void> {
  await inTx(ctx, async (tx) => {
    const names = isChan ? [topic, grpToChn(topic)] : [topic];
    if (hard) {
      await tx.db('subscriptions').whereIn('topic', names).del();
      await deleteAllMessages(tx, topic);
      await tx.db('topictags').where('topic', topic).del();
      await tx.db('topics').where('name', topic).del();
    } else {
      const now = encodeTime(new Date());
      await tx.db('subscriptions').whereIn('topic', names).update({ updatedat: now, deletedat: now });
      await tx.db('topics').where('name', topic).update({ updatedat: now, touchedat: now, state: ObjState.DELETED, stateat: now });
    }
  });
}

export async function topicUpdateOnMessage(ctx: Ctx, topic: string, seqId: number, at: Date): Promise<void> {
  await ctx.db('topics').where('name', topic).update({ seqid: seqId, touchedat: encodeTime(at) });
}

export async function topicUpdateSubCnt(ctx: Ctx, topic: string): Promise<void> {
  const count = ctx.db('subscriptions').count('*').whereIn('topic', [topic, grpToChn(topic) || topic]).whereNull('deletedat');
  await ctx.db('topics').where('name', topic).update({ subcnt: count });
}

function topicUpdateRow(ctx: Ctx, u: TopicUpdate): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (u.updatedAt !== undefined) row.updatedat = encodeTime(u.updatedAt);
  const touched = u.touchedAt ?? u.updatedAt;
  if (touched !== undefined) row.touchedat = encodeTime(touched);
  if (u.state !== undefined) row.state = u.state;
  if (u.stateAt !== undefined) row.stateat = u.stateAt ? encodeTime(u.stateAt) : null;
  if (u.useBt !== undefined) row.usebt = ctx.d.bool(u.useBt);
  if (u.access !== undefined) row.access = accessToDb(u.access);
  if (u.seqId !== undefined) row.seqid = u.seqId;
  if (u.delId !== undefined) row.delid = u.delId;
  if (u.public !== undefined) row.public = encodeJson(u.public);
  if (u.trusted !== undefined) row.trusted = encodeJson(u.trusted);
  if (u.tags !== undefined) row.tags = tagsToDb(u.tags);
  if (u.aux !== undefined) row.aux = encodeJson(u.aux);
  return row;
}

export async function topicUpdate(ctx: Ctx, topic: string, update: TopicUpdate): Promise<void> {
  await inTx(ctx, async (tx) => {
    const row = topicUpdateRow(tx, update);
    if (Object.keys(row).length > 0) {
      await tx.db('topics').where('name', topic).update(row);
    }
    if (update.tags !== undefined) {
      await replaceTags(tx, TOPIC_TAGS, topic, update.tags);
    }
  });
}

export async function topicOwnerChange(ctx: Ctx, topic: string, newOwner: Uid): Promise<void> {
  await ctx.db('topics').where('name', topic).update({ owner: sqlId(ctx, newOwner) });
}

/** Whether a stored subscription topic name refers to a group topic (or its channel face). */
export function isGroupName(name: string): boolean {
  return name.startsWith('grp') || isChannel(name);
}
