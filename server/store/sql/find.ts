import { MODE_UNSET } from '../../../src/model/access.js';
import { grpToChn, userId } from '../../../src/model/uid.js';
import { ObjState, type Subscription } from '../contract/types.js';
import { accessFromDb, idFromDb, tagsFromDb } from './codec.js';
import { rawRows, type Ctx } from './context.js';
import { decodeBool, decodeInt, decodeJson, decodeTimeRequired } from './dialect.js';

/**
 * Search by tags over users and group topics. Matching runs on the tag tables grouped by owner;
 * each required set needs at least one match; rank is the number of matched tags, where a tag
 * starting with the promoted prefix counts 20 (more than all other tags together).
 */

interface Hit {
  sub: Subscription;
  rank: number;
  subCnt: number;
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(',');
}

/** The ranked ids from one tag table, with the HAVING clause enforcing every required set. */
function matchQuery(ctx: Ctx, table: 'usertags' | 'topictags', key: string, prefix: string, req: string[][], all: string[]) {
  const args: (string | number)[] = [];
  let rank = 'COUNT(*)';
  if (prefix) {
    rank = `SUM(CASE WHEN SUBSTR(tg.tag,1,${[...prefix].length})=? THEN 20 ELSE 1 END)`;
    args.push(prefix);
  }
  args.push(...all);
  let sql = `SELECT tg.${key} AS k, ${rank} AS matches FROM ${table} AS tg WHERE tg.tag IN (${placeholders(all.length)}) GROUP BY tg.${key}`;
  const having = req.filter((set) => set.length > 0);
  if (having.length > 0) {
    sql += ' HAVING ' + having.map((set) => `SUM(CASE WHEN tg.tag IN (${placeholders(set.length)}) THEN 1 ELSE 0 END)>=1`).join(' AND ');
    for (const set of having) {
      args.push(...set);
    }
  }
  return { sql, args };
}

export async function find(ctx: Ctx, caller: string, prefix: string, req: string[][], opt: string[], activeOnly: boolean): Promise<Subscription[]> {
  const all = [...new Set([...req.flat(), ...opt])];
  if (all.length === 0) {
    return [];
  }
  const index = new Set(all);
  const state = activeOnly ? ` AND x.state=${ObjState.OK}` : '';
  const hits: Hit[] = [];

  const um = matchQuery(ctx, 'usertags', 'userid', prefix, req, all);
  const users = await rawRows(
    ctx,
    `SELECT x.id,x.createdat,x.updatedat,x.access,x.public,x.trusted,x.tags,m.matches FROM users AS x
      JOIN (${um.sql}) AS m ON m.k=x.id WHERE 1=1${state}`,
    um.args,
  );
  for (const r of users) {
    const topic = userId(idFromDb(ctx, r.id));
    if (topic === caller) {
      continue;
    }
    hits.push({ sub: hitToSub(r, topic, false, index), rank: decodeInt(r.matches), subCnt: 0 });
  }

  const tm = matchQuery(ctx, 'topictags', 'topic', prefix, req, all);
  const topics = await rawRows(
    ctx,
    `SELECT x.name,x.createdat,x.updatedat,x.usebt,x.access,x.subcnt,x.public,x.trusted,x.tags,m.matches FROM topics AS x
      JOIN (${tm.sql}) AS m ON m.k=x.name WHERE 1=1${state}`,
    tm.args,
  );
  for (const r of topics) {
    const isChan = decodeBool(r.usebt);
    const name = String(r.name).trim();
    const sub = hitToSub(r, isChan ? grpToChn(name) : name, isChan, index);
    sub.extra!.subCnt = decodeInt(r.subcnt);
    hits.push({ sub, rank: decodeInt(r.matches), subCnt: decodeInt(r.subcnt) });
  }
  hits.sort((a, b) => b.rank - a.rank || b.subCnt - a.subCnt);
  return hits.slice(0, ctx.maxResults).map((h) => h.sub);
}

function hitToSub(r: Record<string, unknown>, topic: string, isChan: boolean, index: Set<string>): Subscription {
  return {
    createdAt: decodeTimeRequired(r.createdat),
    updatedAt: decodeTimeRequired(r.updatedat),
    deletedAt: null,
    user: 0n,
    topic,
    delId: 0,
    recvSeqId: 0,
    readSeqId: 0,
    modeWant: MODE_UNSET,
    modeGiven: MODE_UNSET,
    private: null,
    extra: {
      public: decodeJson(r.public),
      trusted: decodeJson(r.trusted),
      defaultAccess: accessFromDb(r.access),
      isChan,
      matchedTags: tagsFromDb(r.tags).filter((t) => index.has(t)),
    },
  };
}

export async function findOne(ctx: Ctx, tag: string): Promise<string> {
  const topic = (await ctx.db('topictags').select('topic').where('tag', tag).first()) as { topic: string } | undefined;
  if (topic) {
    return topic.topic.trim();
  }
  const user = (await ctx.db('usertags').select('userid').where('tag', tag).first()) as { userid: unknown } | undefined;
  return user ? userId(idFromDb(ctx, user.userid)) : '';
}
