import type { Uid } from '../../../src/model/uid.js';
import { uidToString } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import type { Credential } from '../contract/types.js';
import { credFromRow } from './codec.js';
import { affected, inTx, sqlId, type Ctx } from './context.js';
import { encodeTime } from './dialect.js';
import { hotFamily, hotRows } from './hot.js';

/**
 * Credentials (email, phone). Uniqueness lives in `synthetic`: `method:value` once validated,
 * `<user>:method:value` while not, so several users may try the same address until one validates.
 */

const CRED_COLUMNS = ['createdat', 'updatedat', 'method', 'value', 'resp', 'done', 'retries'];

export async function credUpsert(ctx: Ctx, cred: Credential): Promise<boolean> {
  return inTx(ctx, async (tx) => {
    const userId = sqlId(tx, cred.user);
    const now = encodeTime(new Date());
    let synth = `${cred.method}:${cred.value}`;
    if (!cred.done) {
      if (await tx.db('credentials').select('id').where('synthetic', synth).first()) {
        throw new StoreError('duplicate', 'credential already validated by someone');
      }
      synth = `${uidToString(cred.user)}:${synth}`;
      await tx.db('credentials')
        .where({ userid: userId, method: cred.method, done: tx.d.bool(false) })
        .update({ deletedat: now });
      const revived = await tx.db('credentials')
        .where('synthetic', synth)
        .update({ updatedat: encodeTime(cred.updatedAt), deletedat: null, resp: cred.resp, done: tx.d.bool(false) });
      if (affected(revived) > 0) {
        return false;
      }
    } else {
      await tx.db('credentials').where('synthetic', `${uidToString(cred.user)}:${synth}`).del();
    }
    try {
      await tx.db('credentials').insert({
        createdat: encodeTime(cred.createdAt),
        updatedat: encodeTime(cred.updatedAt),
        method: cred.method,
        value: cred.value,
        synthetic: synth,
        userid: userId,
        resp: cred.resp,
        done: tx.d.bool(cred.done),
      });
    } catch (err) {
      if (tx.d.isDuplicate(err)) {
        throw new StoreError('duplicate', 'duplicate credential');
      }
      throw err;
    }
    return true;
  });
}

export async function credGetActive(ctx: Ctx, uid: Uid, method: string): Promise<Credential | null> {
  const row = await ctx
    .db('credentials')
    .select(CRED_COLUMNS)
    .where({ userid: sqlId(ctx, uid), method, done: ctx.d.bool(false) })
    .whereNull('deletedat')
    .first();
  return row ? credFromRow(uid, row as Record<string, unknown>) : null;
}

const CREDS_OF_USER = hotFamily(
  (d, byMethod: boolean, validatedOnly: boolean) =>
    `SELECT ${CRED_COLUMNS.map((c) => d.quote(c)).join(',')} FROM credentials WHERE userid=? AND deletedat IS NULL` +
    (byMethod ? ' AND method=?' : '') +
    (validatedOnly ? ' AND done=?' : '') +
    ' ORDER BY id',
);

export async function credGetAll(ctx: Ctx, uid: Uid, method: string, validatedOnly: boolean): Promise<Credential[]> {
  const args: unknown[] = [sqlId(ctx, uid)];
  if (method) args.push(method);
  if (validatedOnly) args.push(ctx.d.bool(true));
  const rows = await hotRows(ctx, CREDS_OF_USER(!!method, validatedOnly), args);
  return rows.map((r) => credFromRow(uid, r));
}

export async function credDel(ctx: Ctx, uid: Uid, method: string, value: string): Promise<void> {
  await inTx(ctx, async (tx) => {
    const base = () => {
      const q = tx.db('credentials').where('userid', sqlId(tx, uid));
      if (method) {
        q.where('method', method);
        if (value) {
          q.where('value', value);
        }
      }
      return q;
    };
    if (!method) {
      if (affected(await base().del()) === 0) {
        throw new StoreError('not-found', 'no credentials');
      }
      return;
    }
    // Validated or never tried: gone for good. Otherwise keep the row (soft-deleted) so that
    // deleting and adding it again does not reset the count of failed attempts.
    const removed = await base()
      .where((w) => w.where('done', tx.d.bool(true)).orWhere('retries', 0))
      .del();
    if (affected(removed) > 0) {
      return;
    }
    if (affected(await base().whereNull('deletedat').update({ deletedat: encodeTime(new Date()) })) === 0) {
      throw new StoreError('not-found', 'credential not found');
    }
  });
}

export async function credConfirm(ctx: Ctx, uid: Uid, method: string): Promise<void> {
  try {
    const n = await ctx
      .db('credentials')
      .where({ userid: sqlId(ctx, uid), method, done: ctx.d.bool(false) })
      .whereNull('deletedat')
      .update({
        updatedat: encodeTime(new Date()),
        done: ctx.d.bool(true),
        synthetic: ctx.db.raw(ctx.d.concat('method', "':'", 'value')),
      });
    if (affected(n) < 1) {
      throw new StoreError('not-found', 'credential not found');
    }
  } catch (err) {
    if (ctx.d.isDuplicate(err)) {
      throw new StoreError('duplicate', 'credential already validated by someone');
    }
    throw err;
  }
}

export async function credFail(ctx: Ctx, uid: Uid, method: string): Promise<void> {
  await ctx
    .db('credentials')
    .where({ userid: sqlId(ctx, uid), method, done: ctx.d.bool(false) })
    .update({ updatedat: encodeTime(new Date()), retries: ctx.db.raw('retries+1') });
}
