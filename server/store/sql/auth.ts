import type { AuthLevel } from '../../../src/model/auth-level.js';
import type { Uid } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import type { AuthRecord } from '../contract/types.js';
import { authFromRow } from './codec.js';
import { affected, sqlId, type Ctx } from './context.js';
import { encodeTime } from './dialect.js';
import { hot, hotRows } from './hot.js';

/** Authentication records (`auth` table): one per user and scheme, unique by `uname`. */

const AUTH_BY_UNAME = hot('SELECT uname,userid,secret,expires,authlvl FROM auth WHERE uname=? LIMIT 1');
const AUTH_BY_USER = hot('SELECT uname,userid,secret,expires,authlvl FROM auth WHERE userid=? AND scheme=? LIMIT 1');

export async function authGetUniqueRecord(ctx: Ctx, unique: string): Promise<AuthRecord | null> {
  const [row] = await hotRows(ctx, AUTH_BY_UNAME, [unique]);
  return row ? authFromRow(ctx, row) : null;
}

export async function authGetRecord(ctx: Ctx, uid: Uid, scheme: string): Promise<AuthRecord | null> {
  const [row] = await hotRows(ctx, AUTH_BY_USER, [sqlId(ctx, uid), scheme]);
  return row ? authFromRow(ctx, row) : null;
}

export async function authAddRecord(
  ctx: Ctx,
  uid: Uid,
  scheme: string,
  unique: string,
  level: AuthLevel,
  secret: Buffer,
  expires: Date | null,
): Promise<void> {
  try {
    await ctx.db('auth').insert({
      uname: unique,
      userid: sqlId(ctx, uid),
      scheme,
      authlvl: level,
      secret: secret.toString('utf8'),
      expires: expires ? encodeTime(expires) : null,
    });
  } catch (err) {
    if (ctx.d.isDuplicate(err)) {
      throw new StoreError('duplicate', 'duplicate login');
    }
    throw err;
  }
}

export async function authDelScheme(ctx: Ctx, uid: Uid, scheme: string): Promise<void> {
  await ctx.db('auth').where({ userid: sqlId(ctx, uid), scheme }).del();
}

export async function authDelAllRecords(ctx: Ctx, uid: Uid): Promise<number> {
  return affected(await ctx.db('auth').where('userid', sqlId(ctx, uid)).del());
}

export async function authUpdRecord(
  ctx: Ctx,
  uid: Uid,
  scheme: string,
  unique: string,
  level: AuthLevel,
  secret: Buffer | null,
  expires: Date | null,
): Promise<void> {
  const row: Record<string, unknown> = { authlvl: level };
  if (unique) {
    row.uname = unique;
  }
  if (secret && secret.length > 0) {
    row.secret = secret.toString('utf8');
  }
  if (expires) {
    row.expires = encodeTime(expires);
  }
  let n: unknown;
  try {
    n = await ctx.db('auth').where({ userid: sqlId(ctx, uid), scheme }).update(row);
  } catch (err) {
    if (ctx.d.isDuplicate(err)) {
      throw new StoreError('duplicate', 'duplicate login');
    }
    throw err;
  }
  if (affected(n) === 0) {
    throw new StoreError('not-found', 'no such authentication record');
  }
}
