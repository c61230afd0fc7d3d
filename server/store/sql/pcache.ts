import { StoreError } from '../contract/errors.js';
import type { Ctx } from './context.js';
import { encodeTime } from './dialect.js';

/** A persistent key-value cache in `kvmeta` (which also holds the schema version). */

export async function pcacheGet(ctx: Ctx, key: string): Promise<string> {
  const row = (await ctx.db('kvmeta').select('value').where('key', key).first()) as { value: unknown } | undefined;
  if (!row) {
    throw new StoreError('not-found', 'no such key');
  }
  return String(row.value ?? '');
}

export async function pcacheUpsert(ctx: Ctx, key: string, value: string, failOnDuplicate: boolean): Promise<void> {
  if (key.includes('%')) {
    // '%' would act as a wildcard in pcacheExpire's LIKE.
    throw new StoreError('malformed', "keys cannot contain '%'");
  }
  const row = { key, createdat: encodeTime(new Date()), value };
  try {
    if (failOnDuplicate) {
      await ctx.db('kvmeta').insert(row);
    } else {
      await ctx.db('kvmeta').insert(row).onConflict('key').merge();
    }
  } catch (err) {
    if (ctx.d.isDuplicate(err)) {
      throw new StoreError('duplicate', 'duplicate key');
    }
    throw err;
  }
}

export async function pcacheDelete(ctx: Ctx, key: string): Promise<void> {
  await ctx.db('kvmeta').where('key', key).del();
}

export async function pcacheExpire(ctx: Ctx, keyPrefix: string, olderThan: Date): Promise<void> {
  if (!keyPrefix) {
    throw new StoreError('malformed', 'empty key prefix');
  }
  await ctx.db('kvmeta').where('key', 'like', `${keyPrefix}%`).where('createdat', '<', encodeTime(olderThan)).del();
}
