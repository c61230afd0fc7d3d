import type { Database } from 'better-sqlite3';
import type { Uid } from '../../../src/model/uid.js';
import { idsToRanges, rangeEnd } from '../contract/ranges.js';
import type { DelMessage, DelRecord, Message, MessageBatch, QueryOpt, Range, SeqMarks } from '../contract/types.js';
import { idFromDb, messageFromRow } from './codec.js';
import { inTx, MAX_MESSAGE_RESULTS, rawRows, sqlId, type Ctx } from './context.js';
import { decodeInt, encodeJson, encodeTime, type Dialect } from './dialect.js';
import { hot, hotRows, hotRun } from './hot.js';
import { canGoDirect, prepared, withConnection } from './sqlite-direct.js';
import { subsUpdate } from './subs.js';

/** Messages and the delete log (`dellog`). */

const MAX_SEQ = 2 ** 31 - 1;

function messageRow(ctx: Ctx, m: Message): Record<string, unknown> {
  return {
    createdat: encodeTime(m.createdAt),
    updatedat: encodeTime(m.updatedAt),
    seqid: m.seqId,
    topic: m.topic,
    from: sqlId(ctx, m.from),
    head: encodeJson(m.head),
    content: encodeJson(m.content),
  };
}

const INSERT_ONE = hot(
  (d) => `INSERT INTO messages (createdat,updatedat,seqid,topic,${d.quote('from')},head,content) VALUES (?,?,?,?,?,?,?)${d.name === 'postgres' ? ' RETURNING id' : ''}`,
);

async function insertMessage(ctx: Ctx, m: Message): Promise<void> {
  const r = messageRow(ctx, m);
  const args = [r.createdat, r.updatedat, r.seqid, r.topic, r.from, r.head, r.content];
  if (ctx.d.name === 'postgres') {
    const [row] = await hotRows(ctx, INSERT_ONE, args);
    m.id = decodeInt(row?.id);
  } else {
    m.id = (await hotRun(ctx, INSERT_ONE, args)).insertId;
  }
}

export async function messageSave(ctx: Ctx, msg: Message): Promise<void> {
  await insertMessage(ctx, msg);
}

export async function messageSaveAll(ctx: Ctx, topic: string, msgs: Message[], marks?: ReadonlyMap<Uid, SeqMarks>): Promise<void> {
  await messageCommit(ctx, [{ topic, msgs, marks }]);
}

const isEmpty = (b: MessageBatch) => b.msgs.length === 0 && (b.marks?.size ?? 0) === 0;

export async function messageCommit(ctx: Ctx, batches: readonly MessageBatch[]): Promise<void> {
  if (batches.every(isEmpty)) {
    return;
  }
  if (canGoDirect(ctx)) {
    await withConnection(ctx, (db) => commitSqlite(ctx, db, batches));
    return;
  }
  await inTx(ctx, (tx) => commitPooled(tx, batches));
}

const INSERT_MESSAGE = 'INSERT INTO messages (createdat,updatedat,seqid,topic,"from",head,content) VALUES (?,?,?,?,?,?,?)';
const BUMP_TOPIC = 'UPDATE topics SET seqid=?,touchedat=? WHERE name=?';
const MOVE_RECV = 'UPDATE subscriptions SET recvseqid=? WHERE topic=? AND userid=?';
const MOVE_MARKS = 'UPDATE subscriptions SET recvseqid=?,readseqid=? WHERE topic=? AND userid=?';

/**
 * {@link messageCommit} on SQLite with statements prepared once: the same rows as
 * {@link commitPooled}, in one immediate transaction on the held connection.
 */
function commitSqlite(ctx: Ctx, db: Database, batches: readonly MessageBatch[]): void {
  const insert = prepared(db, INSERT_MESSAGE);
  const bump = prepared(db, BUMP_TOPIC);
  const recv = prepared(db, MOVE_RECV);
  const marks = prepared(db, MOVE_MARKS);
  db.transaction(() => {
    for (const b of batches) {
      if (b.msgs.length > 0) {
        for (const m of b.msgs) {
          const r = messageRow(ctx, m);
          m.id = decodeInt(insert.run(r.createdat, r.updatedat, r.seqid, r.topic, r.from, r.head, r.content).lastInsertRowid);
        }
        const last = b.msgs.reduce((x, y) => (y.seqId > x.seqId ? y : x));
        bump.run(last.seqId, encodeTime(last.createdAt), b.topic);
      }
      for (const [user, m] of b.marks ?? []) {
        if (m.readSeqId === undefined) recv.run(m.recvSeqId, b.topic, sqlId(ctx, user));
        else marks.run(m.recvSeqId, m.readSeqId, b.topic, sqlId(ctx, user));
      }
    }
  }).immediate();
}

/** Rows per multi-row statement: well under every driver's limit on bound values. */
const ROWS_PER_STATEMENT = 200;

/**
 * {@link messageCommit} over a pool (MySQL/MariaDB, PostgreSQL) in a few statements however many
 * topics the commit holds: the messages in multi-row INSERTs (their ids read back by the unique
 * topic and seq), every topic's seq and touched time in one UPDATE, and every read/recv mark in
 * another. Round trips per commit stay constant instead of growing with its messages.
 */
async function commitPooled(tx: Ctx, batches: readonly MessageBatch[]): Promise<void> {
  const msgs = batches.flatMap((b) => b.msgs);
  for (let i = 0; i < msgs.length; i += ROWS_PER_STATEMENT) {
    await insertMessages(tx, msgs.slice(i, i + ROWS_PER_STATEMENT));
  }
  const bumps = batches.filter((b) => b.msgs.length > 0).map((b) => b.msgs.reduce((x, y) => (y.seqId > x.seqId ? y : x)));
  for (let i = 0; i < bumps.length; i += ROWS_PER_STATEMENT) {
    await bumpTopics(tx, bumps.slice(i, i + ROWS_PER_STATEMENT));
  }
  const marks = mergeMarks(batches);
  for (let i = 0; i < marks.length; i += ROWS_PER_STATEMENT) {
    await moveMarks(tx, marks.slice(i, i + ROWS_PER_STATEMENT));
  }
}

/** Inserts `msgs` in one statement and sets each one's `id`. */
async function insertMessages(tx: Ctx, msgs: Message[]): Promise<void> {
  if (msgs.length === 1) {
    await insertMessage(tx, msgs[0]!);
    return;
  }
  const rows = msgs.map((m) => messageRow(tx, m));
  let back: Record<string, unknown>[];
  if (tx.d.name === 'postgres') {
    back = (await tx.db('messages').insert(rows).returning(['id', 'topic', 'seqid'])) as Record<string, unknown>[];
  } else {
    await tx.db('messages').insert(rows);
    // MySQL reports only the first id; consecutive ids are not promised (auto-increment lock mode
    // 2, or an increment above 1 in a Galera cluster): read them back by the unique (topic, seq).
    const byTopic = new Map<string, { low: number; high: number }>();
    for (const m of msgs) {
      const r = byTopic.get(m.topic);
      if (r) {
        r.low = Math.min(r.low, m.seqId);
        r.high = Math.max(r.high, m.seqId);
      } else byTopic.set(m.topic, { low: m.seqId, high: m.seqId });
    }
    const where = [...byTopic.values()].map(() => '(topic=? AND seqid BETWEEN ? AND ?)').join(' OR ');
    back = await rawRows(tx, `SELECT id,topic,seqid FROM messages WHERE ${where}`, [...byTopic].flatMap(([t, r]) => [t, r.low, r.high]));
  }
  const ids = new Map(back.map((r) => [`${String(r.topic)} ${decodeInt(r.seqid)}`, decodeInt(r.id)]));
  for (const m of msgs) {
    m.id = ids.get(`${m.topic} ${m.seqId}`) ?? 0;
  }
}

const BUMP_ONE = hot(BUMP_TOPIC);

/** Sets each topic's seq and touched time from its last message, in one statement. */
async function bumpTopics(tx: Ctx, last: Message[]): Promise<void> {
  if (last.length === 1) {
    const m = last[0]!;
    await hotRun(tx, BUMP_ONE, [m.seqId, encodeTime(m.createdAt), m.topic]);
    return;
  }
  // ELSE keeps each CASE typed as its column (PostgreSQL would read untyped parameters as text).
  const cases = last.map(() => 'WHEN ? THEN ?').join(' ');
  await tx.db.raw(`UPDATE topics SET seqid = CASE name ${cases} ELSE seqid END, touchedat = CASE name ${cases} ELSE touchedat END WHERE name IN (${last.map(() => '?').join(',')})`, [
    ...last.flatMap((m) => [m.topic, m.seqId]),
    ...last.flatMap((m) => [m.topic, encodeTime(m.createdAt)]),
    ...last.map((m) => m.topic),
  ]);
}

interface MarkMove {
  readonly topic: string;
  readonly user: Uid;
  recv: number;
  read?: number;
}

/**
 * The marks of a commit, one per topic and user: a later batch's marks overwrite an earlier's
 * field by field, as the two updates would one after the other.
 */
function mergeMarks(batches: readonly MessageBatch[]): MarkMove[] {
  const out = new Map<string, MarkMove>();
  for (const b of batches) {
    for (const [user, m] of b.marks ?? []) {
      const key = `${b.topic} ${user}`;
      const seen = out.get(key);
      if (seen) {
        seen.recv = m.recvSeqId;
        if (m.readSeqId !== undefined) seen.read = m.readSeqId;
      } else out.set(key, { topic: b.topic, user, recv: m.recvSeqId, read: m.readSeqId });
    }
  }
  return [...out.values()];
}

const RECV_ONE = hot(MOVE_RECV);
const MARKS_ONE = hot(MOVE_MARKS);

/** Moves every mark in `moves` in one statement (marks of user 0 would be the whole topic's: one by one). */
async function moveMarks(tx: Ctx, moves: MarkMove[]): Promise<void> {
  const many = moves.filter((m) => m.user !== 0n);
  for (const m of many.length > 1 ? moves.filter((m) => m.user === 0n) : moves) {
    if (m.user === 0n) {
      await subsUpdate(tx, m.topic, m.user, m.read === undefined ? { recvSeqId: m.recv } : { recvSeqId: m.recv, readSeqId: m.read });
    } else if (m.read === undefined) {
      await hotRun(tx, RECV_ONE, [m.recv, m.topic, sqlId(tx, m.user)]);
    } else {
      await hotRun(tx, MARKS_ONE, [m.recv, m.read, m.topic, sqlId(tx, m.user)]);
    }
  }
  if (many.length <= 1) {
    return;
  }
  const reads = many.filter((m) => m.read !== undefined);
  const pair = '(topic=? AND userid=?)';
  let sql = `UPDATE subscriptions SET recvseqid = CASE ${many.map(() => `WHEN ${pair} THEN ?`).join(' ')} ELSE recvseqid END`;
  const args: (string | number)[] = many.flatMap((m) => [m.topic, sqlId(tx, m.user), m.recv]);
  if (reads.length > 0) {
    sql += `, readseqid = CASE ${reads.map(() => `WHEN ${pair} THEN ?`).join(' ')} ELSE readseqid END`;
    args.push(...reads.flatMap((m) => [m.topic, sqlId(tx, m.user), m.read ?? 0]));
  }
  sql += ` WHERE ${many.map(() => pair).join(' OR ')}`;
  args.push(...many.flatMap((m) => [m.topic, sqlId(tx, m.user)]));
  await tx.db.raw(sql, args);
}

/**
 * SQL condition on `column` for the given ranges, with its bindings: one comparison per range,
 * so a range's size costs nothing (a list of every id in a span of a billion would not fit).
 */
function rangesSql(column: string, ranges: Range[]): [string, number[]] {
  const parts: string[] = [];
  const args: number[] = [];
  for (const r of ranges) {
    if (rangeEnd(r) === r.low + 1) {
      parts.push(`${column} = ?`);
      args.push(r.low);
    } else {
      parts.push(`${column} BETWEEN ? AND ?`);
      args.push(r.low, rangeEnd(r) - 1);
    }
  }
  return [parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`, args];
}

/** A page of history, newest first, without what the user deleted for themselves. */
function pageSql(d: Dialect, seqCondition: string): string {
  const from = d.quote('from');
  return `SELECT m.id,m.createdat,m.updatedat,m.deletedat,m.delid,m.seqid,m.topic,m.${from} AS ${from},m.head,m.content
      FROM messages AS m LEFT JOIN dellog AS d
        ON d.topic=m.topic AND m.seqid BETWEEN d.low AND d.hi-1 AND d.deletedfor=?
      WHERE m.delid=0 AND m.topic=? AND ${seqCondition} AND d.deletedfor IS NULL
      ORDER BY m.seqid DESC LIMIT ?`;
}

const PAGE = hot((d) => pageSql(d, 'm.seqid BETWEEN ? AND ?'));

export async function messageGetAll(ctx: Ctx, topic: string, forUser: Uid, opts?: QueryOpt): Promise<Message[]> {
  let limit = MAX_MESSAGE_RESULTS;
  const args: (string | number)[] = [sqlId(ctx, forUser), topic];
  let ranges: string | null = null;
  if (opts?.ranges && opts.ranges.length > 0) {
    const [sql, ids] = rangesSql('m.seqid', opts.ranges);
    ranges = sql;
    args.push(...ids);
  } else {
    args.push(opts?.since && opts.since > 0 ? opts.since : 0, opts?.before && opts.before > 1 ? opts.before - 1 : MAX_SEQ);
  }
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  args.push(limit);
  // A page by seq span is hot; one by a client's list of ranges is as varied as the list, so not prepared.
  const rows = ranges === null ? await hotRows(ctx, PAGE, args) : await rawRows(ctx, pageSql(ctx.d, ranges), args);
  return rows.map((r) => messageFromRow(ctx, r));
}

/** Deletes every message of a topic and its delete log (file links go by cascade). */
export async function deleteAllMessages(ctx: Ctx, topic: string): Promise<void> {
  await ctx.db('dellog').where('topic', topic).del();
  await ctx.db('messages').where('topic', topic).del();
}

async function hardDelete(tx: Ctx, topic: string, toDel: DelMessage): Promise<Range[]> {
  const q = tx.db('messages').select('id', 'seqid').where('topic', topic).whereNull('deletedat');
  if (toDel.ranges.length > 0) {
    const [sql, ids] = rangesSql('seqid', toDel.ranges);
    q.whereRaw(sql, ids);
  }
  if (toDel.newerThan) {
    q.where('createdat', '>', encodeTime(toDel.newerThan));
  }
  const found = ((await q) as { id: unknown; seqid: unknown }[]).map((r) => ({ id: decodeInt(r.id), seq: decodeInt(r.seqid) }));
  if (found.length === 0) {
    return [];
  }
  const seqs = found.map((f) => f.seq).sort((a, b) => a - b);
  const rowIds = found.map((f) => f.id);
  await tx.db('filemsglinks').whereIn('msgid', rowIds).del();
  await tx.db('messages').whereIn('id', rowIds).update({
    deletedat: encodeTime(new Date()),
    delid: toDel.delId,
    from: 0,
    head: null,
    content: null,
  });
  return idsToRanges(seqs);
}

export async function messageDeleteList(ctx: Ctx, topic: string, toDel: DelMessage | null): Promise<void> {
  await inTx(ctx, async (tx) => {
    if (toDel === null) {
      await deleteAllMessages(tx, topic);
      return;
    }
    const ranges = toDel.deletedFor === 0n ? await hardDelete(tx, topic, toDel) : toDel.ranges;
    if (ranges.length === 0) {
      return;
    }
    const forUser = sqlId(tx, toDel.deletedFor);
    await tx.db('dellog').insert(
      ranges.map((r) => ({ topic, deletedfor: forUser, delid: toDel.delId, low: r.low, hi: rangeEnd(r) })),
    );
  });
}

export async function messageGetDeleted(ctx: Ctx, topic: string, forUser: Uid, opts?: QueryOpt): Promise<DelRecord[]> {
  let limit = ctx.maxResults;
  if (opts?.limit && opts.limit > 0 && opts.limit < limit) {
    limit = opts.limit;
  }
  const rows = (await ctx
    .db('dellog')
    .select('topic', 'deletedfor', 'delid', 'low', 'hi')
    .where('topic', topic)
    .whereBetween('delid', [opts?.since && opts.since > 0 ? opts.since : 0, opts?.before && opts.before > 1 ? opts.before - 1 : MAX_SEQ])
    .where((w) => w.where('deletedfor', 0).orWhere('deletedfor', sqlId(ctx, forUser)))
    .orderBy(['delid', 'id'])
    .limit(limit)) as Record<string, unknown>[];
  const out: DelRecord[] = [];
  for (const r of rows) {
    const delId = decodeInt(r.delid);
    let rec = out[out.length - 1];
    if (!rec || rec.delId !== delId) {
      rec = { topic: String(r.topic).trim(), deletedFor: idFromDb(ctx, r.deletedfor), delId, ranges: [] };
      out.push(rec);
    }
    const low = decodeInt(r.low);
    const hi = decodeInt(r.hi);
    rec.ranges.push({ low, hi: hi <= low + 1 ? 0 : hi });
  }
  return out;
}
